/** Prometheus text as test data: parsed with parse-prometheus-text-format, samples found by name and labels. */
import parsePrometheusTextFormat, { type PrometheusFamily } from 'parse-prometheus-text-format';

export interface Scrape {
  families: Map<string, PrometheusFamily>;
  /** The value of the one sample of `name` whose labels include `labels`; undefined when none, an error when several. */
  value(name: string, labels?: Record<string, string>): number | undefined;
  /** Every sample of `name` with the labels given. */
  samples(name: string, labels?: Record<string, string>): Array<{ labels: Record<string, string>; value: number }>;
}

export function parseScrape(text: string): Scrape {
  const families = new Map(parsePrometheusTextFormat(text).map((f) => [f.name, f]));
  const samples = (name: string, labels: Record<string, string> = {}) => (families.get(name)?.metrics ?? [])
    .map((m) => ({ labels: m.labels ?? {}, value: Number(m.value) }))
    .filter((m) => Object.entries(labels).every(([k, v]) => m.labels[k] === v));
  return {
    families, samples,
    value(name, labels) {
      const found = samples(name, labels);
      if (found.length > 1) throw new Error(`${found.length} samples of ${name} match ${JSON.stringify(labels)}`);
      return found[0]?.value;
    },
  };
}
