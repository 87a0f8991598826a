/**
 * The dispatcher process's metrics under the names Flink's JobManager offers (GET /jobmanager/metrics),
 * measured on the Node process:
 *
 * | name | here |
 * |---|---|
 * | Status.JVM.Memory.Heap.Used / .Committed / .Max | V8 heap used, heap allocated, heap size limit (bytes) |
 * | Status.JVM.Memory.NonHeap.Used | memory outside the V8 heap: `external` + `arrayBuffers` (bytes) |
 * | Status.JVM.Memory.RSS | resident set size (bytes; ebbflow's, Flink has no such JVM metric) |
 * | Status.JVM.CPU.Time | CPU time of the process, user + system (ns, like the JVM's process CPU time) |
 * | Status.JVM.CPU.Load | CPU used since the previous reading (or the start), as a fraction of all cores (0..1) |
 * | Status.JVM.Threads.Count | 1 (the event loop; worker threads are not counted) |
 * | numRunningJobs, numRegisteredTaskManagers, taskSlotsTotal, taskSlotsAvailable | jobs not ended, and their TaskManagers |
 */
import { availableParallelism } from 'node:os';
import { getHeapStatistics } from 'node:v8';
import type { MetricStore } from './flink-metrics.js';

/** Keeps the previous CPU reading, so that CPU.Load covers the time since then. */
export class ProcessSampler {
  private last = { at: performance.now(), cpu: process.cpuUsage() };
  private readonly startedAt = { at: 0, cpu: { user: 0, system: 0 } };

  read(): MetricStore {
    const mem = process.memoryUsage();
    const now = performance.now();
    const cpu = process.cpuUsage();
    const since = now - this.last.at < 100 ? this.startedAt : this.last;
    const busyUs = cpu.user + cpu.system - since.cpu.user - since.cpu.system;
    const elapsedUs = Math.max(1, (now - since.at) * 1000);
    if (now - this.last.at >= 100) this.last = { at: now, cpu };
    return {
      'Status.JVM.Memory.Heap.Used': mem.heapUsed,
      'Status.JVM.Memory.Heap.Committed': mem.heapTotal,
      'Status.JVM.Memory.Heap.Max': getHeapStatistics().heap_size_limit,
      'Status.JVM.Memory.NonHeap.Used': mem.external + mem.arrayBuffers,
      'Status.JVM.Memory.RSS': mem.rss,
      'Status.JVM.CPU.Time': (cpu.user + cpu.system) * 1000,
      'Status.JVM.CPU.Load': Math.min(1, busyUs / elapsedUs / availableParallelism()),
      'Status.JVM.Threads.Count': 1,
    };
  }
}
