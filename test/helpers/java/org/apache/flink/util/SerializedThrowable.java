package org.apache.flink.util;

import java.lang.ref.WeakReference;

/**
 * Test stub of Flink's org.apache.flink.util.SerializedThrowable: the same class name, superclass,
 * serialVersionUID and serialized fields, so ObjectInputStream reads Flink's bytes into it.
 */
public class SerializedThrowable extends Exception {
    private static final long serialVersionUID = 7284183123441947635L;

    private final byte[] serializedException;
    private final String originalErrorClassName;
    private final String fullStringifiedStackTrace;
    private transient WeakReference<Throwable> cachedException;

    public SerializedThrowable(String message) {
        super(message);
        this.serializedException = null;
        this.originalErrorClassName = null;
        this.fullStringifiedStackTrace = null;
    }

    public byte[] getSerializedException() { return serializedException; }
    public String getOriginalErrorClassName() { return originalErrorClassName; }
    public String getFullStringifiedStackTrace() { return fullStringifiedStackTrace; }
}
