import java.io.ByteArrayInputStream;
import java.io.ObjectInputStream;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import org.apache.flink.util.SerializedThrowable;

/**
 * Reads base64 Java-serialized SerializedThrowables, one per line on stdin, the way Flink's
 * SerializedThrowableDeserializer does (ObjectInputStream.readObject), and prints per input one line:
 * the fields as base64 (so newlines survive), separated by spaces: message, original class name,
 * stack trace, and whether serializedException / cause are null; or "ERROR <base64 of the exception>".
 */
public class DecodeThrowable {
    private static String b64(String s) {
        return s == null ? "-" : Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
    }

    public static void main(String[] args) throws Exception {
        java.io.BufferedReader in = new java.io.BufferedReader(new java.io.InputStreamReader(System.in, StandardCharsets.UTF_8));
        String line;
        while ((line = in.readLine()) != null) {
            if (line.isEmpty()) continue;
            try (ObjectInputStream ois = new ObjectInputStream(new ByteArrayInputStream(Base64.getDecoder().decode(line.trim())))) {
                SerializedThrowable t = (SerializedThrowable) ois.readObject();
                System.out.println(b64(t.getMessage()) + " " + b64(t.getOriginalErrorClassName()) + " " + b64(t.getFullStringifiedStackTrace())
                    + " " + (t.getSerializedException() == null) + " " + (t.getCause() == null) + " " + t.getStackTrace().length);
            } catch (Exception e) {
                System.out.println("ERROR " + b64(e.toString()));
            }
        }
    }
}
