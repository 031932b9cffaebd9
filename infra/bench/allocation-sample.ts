import { writeFileSync } from 'node:fs';
import type { HeapProfiler } from 'node:inspector';
import { Session } from 'node:inspector/promises';

/**
 * What this process allocates between start and `stop`, collected objects included: V8's sampling heap
 * profiler, one sample per 4 KB on average. `stop` writes the profile (a .heapprofile Chrome's DevTools
 * opens) and answers the bytes seen, and the same by where they were allocated (the function's own
 * allocations, by its package, or by its file for ours): the garbage collector's pauses come from these.
 */
export async function sampleAllocations(): Promise<{ stop(file: string): Promise<{ bytes: number; byWhere: [where: string, bytes: number][] }> }> {
  const session = new Session();
  session.connect();
  // (Both include-collected switches are V8's, newer than @types/node's typing of startSampling.)
  const params: HeapProfiler.StartSamplingParameterType & { includeObjectsCollectedByMajorGC: boolean; includeObjectsCollectedByMinorGC: boolean } = {
    samplingInterval: 4096,
    includeObjectsCollectedByMajorGC: true,
    includeObjectsCollectedByMinorGC: true,
  };
  await session.post('HeapProfiler.startSampling', params);
  return {
    async stop(file) {
      const { profile } = await session.post('HeapProfiler.stopSampling');
      session.disconnect();
      writeFileSync(file, JSON.stringify(profile));
      const byWhere = new Map<string, number>();
      let bytes = 0;
      const walk = (node: HeapProfiler.SamplingHeapProfileNode) => {
        bytes += node.selfSize;
        const where = whereOf(node.callFrame.url);
        byWhere.set(where, (byWhere.get(where) ?? 0) + node.selfSize);
        for (const child of node.children) walk(child);
      };
      walk(profile.head);
      return { bytes, byWhere: [...byWhere].sort((a, b) => b[1] - a[1]) };
    },
  };
}

const repo = new URL('../..', import.meta.url).href;

/** A package's name, our file's path in the repository, "node" for Node's own, "V8" for the engine's. */
function whereOf(url: string): string {
  if (!url) return 'V8';
  if (url.startsWith('node:')) return 'node';
  const inPackage = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (inPackage) return inPackage[1]!;
  return url.startsWith(repo) ? url.slice(repo.length) : url;
}
