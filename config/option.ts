/**
 * The declaration of one configuration option: its key, where else it can be
 * set (environment variable, command-line flag), its type, default, range and a
 * one-line doc. Every option ebbflow reads is declared once, in a table built
 * from these (job keys, address keys, dispatcher options; each resource provider
 * declares its own keys); readers, range checks, the CLI and the README's
 * option tables all come from the declarations.
 */

export type OptionType = 'int' | 'number' | 'duration' | 'string' | 'enum' | 'bool' | 'list' | 'map';

/**
 * Who reads the option: the dispatcher (its options, env vars and flags), the CLI
 * client, every job (`flinkConfiguration` keys), the address keys every provider
 * uses, or one resource provider (its name).
 */
export type OptionScope = 'dispatcher' | 'client' | 'job' | 'address' | (string & {});

export interface OptionDecl<T = unknown> {
  /** Flink-style key for configuration keys; the option's property name for dispatcher and client options. */
  readonly key: string;
  readonly scope: OptionScope;
  readonly type: OptionType;
  /** Environment variable that sets it (dispatcher and client options). */
  readonly env?: string;
  /** Command-line flag, as commander spells it (`--port <port>`), with its help text exactly as `ebbflow --help` shows it. */
  readonly cli?: { readonly flags: string; readonly help: string; readonly global?: boolean };
  /** What the README shows in the flag column when it is not the long flag (e.g. `-D key=value`). */
  readonly cliDoc?: string;
  /** The default; a function for defaults computed at startup (e.g. from the CPU count). Absent: none. */
  readonly default?: T | (() => T);
  /** How the README shows the default, where the value alone would not say it. */
  readonly defaultDoc?: string;
  /** Smallest allowed value (numbers; durations in ms). */
  readonly min?: number;
  /** Largest allowed value (numbers; durations in ms). */
  readonly max?: number;
  /** Allowed values of an enum. */
  readonly values?: readonly string[];
  /** Other spellings of enum values, lower case → value (e.g. Flink's `fixeddelay`). */
  readonly aliases?: Readonly<Record<string, string>>;
  /**
   * What a value must be, for error messages, where the type alone does not say it (e.g. "a directory
   * path"). A string option with `expected` takes strings only; without, a number is read as its text.
   */
  readonly expected?: string;
  /** A further check of a parsed value: a message (without the key) when it is not acceptable. */
  check?(value: T): string | undefined;
  /** For a dispatcher option: the configuration key it gives a dispatcher-wide default to (`--mesos-master` → `mesos.master`). */
  readonly configKey?: string;
  /** For a dispatcher option: Flink's configuration key for it, also accepted as `-D <flinkKey>=value` (e.g. `high-availability.type`). */
  readonly flinkKey?: string;
  /** One line for the README's table. */
  readonly doc: string;
  /** Not shown in the README (tuning for tests). */
  readonly hidden?: boolean;
}

type Spec<T> = Omit<OptionDecl<T>, 'type' | 'values'>;

/** Builders that fix the declaration's value type. */
export const opt = {
  int: (d: Spec<number>): OptionDecl<number> => ({ ...d, type: 'int' }),
  number: (d: Spec<number>): OptionDecl<number> => ({ ...d, type: 'number' }),
  /** Milliseconds, given as a number of ms or a string like "500 ms", "2 s", "1 min". */
  duration: (d: Spec<number>): OptionDecl<number> => ({ ...d, type: 'duration' }),
  string: (d: Spec<string>): OptionDecl<string> => ({ ...d, type: 'string' }),
  enum: <const V extends readonly string[]>(values: V, d: Spec<V[number]>): OptionDecl<V[number]> => ({ ...d, type: 'enum', values }),
  bool: (d: Spec<boolean>): OptionDecl<boolean> => ({ ...d, type: 'bool' }),
  /** Comma-separated in env vars, flags and configuration values. */
  list: (d: Spec<string[]>): OptionDecl<string[]> => ({ ...d, type: 'list' }),
  /** key → value (the dispatcher's `-D key=value`). */
  map: (d: Spec<Record<string, unknown>>): OptionDecl<Record<string, unknown>> => ({ ...d, type: 'map' }),
};

/** The value type a declaration reads. */
export type OptionValue<D> = D extends OptionDecl<infer T> ? T : never;

/** The declaration's default, computed now; undefined when it has none. */
export function defaultOf<T>(d: OptionDecl<T>): T | undefined {
  return typeof d.default === 'function' ? (d.default as () => T)() : d.default;
}
