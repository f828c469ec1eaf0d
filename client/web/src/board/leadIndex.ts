// LeadIndex: every lead by id, as a persistent map. It is split into shards
// by a hash of the id; `with`/`without` copy only the shard they touch, so a
// change to one lead among 100,000 copies ~1,600 entries, not 100,000, and
// the previous index stays valid (states that share it are not disturbed).
import type { Lead } from "../gen/leadboard/v1/lead_pb";

const kShardBits = 6;
const kShards = 1 << kShardBits;

function shardOf(id: string): number {
  // FNV-1a over UTF-16 code units; only needs to spread ids evenly.
  let hash = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) {
    hash ^= id.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0) & (kShards - 1);
}

export class LeadIndex {
  private constructor(
    private readonly shards: ReadonlyArray<ReadonlyMap<string, Lead>>,
    readonly size: number,
  ) {}

  static readonly empty = new LeadIndex(Array.from({ length: kShards }, () => new Map()), 0);

  // Builds an index from leads in one pass (the last lead of an id wins).
  static from(leads: Iterable<Lead>): LeadIndex {
    const shards = Array.from({ length: kShards }, () => new Map<string, Lead>());
    for (const lead of leads) shards[shardOf(lead.id)].set(lead.id, lead);
    return new LeadIndex(shards, shards.reduce((n, s) => n + s.size, 0));
  }

  get(id: string): Lead | undefined {
    return this.shards[shardOf(id)].get(id);
  }

  // A new index with `lead` set; this one is unchanged.
  with(lead: Lead): LeadIndex {
    const n = shardOf(lead.id);
    const shard = new Map(this.shards[n]);
    const added = !shard.has(lead.id);
    shard.set(lead.id, lead);
    const shards = this.shards.slice();
    shards[n] = shard;
    return new LeadIndex(shards, this.size + (added ? 1 : 0));
  }

  // Applies many sets at once, copying each touched shard once.
  withAll(leads: readonly Lead[]): LeadIndex {
    if (leads.length === 0) return this;
    const shards = this.shards.slice() as Map<string, Lead>[];
    const copied = new Set<number>();
    let size = this.size;
    for (const lead of leads) {
      const n = shardOf(lead.id);
      if (!copied.has(n)) {
        shards[n] = new Map(shards[n]);
        copied.add(n);
      }
      if (!shards[n].has(lead.id)) size++;
      shards[n].set(lead.id, lead);
    }
    return new LeadIndex(shards, size);
  }

  *values(): IterableIterator<Lead> {
    for (const shard of this.shards) yield* shard.values();
  }
}
