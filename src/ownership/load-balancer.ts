// Which partitions an instance should claim next, in the manner of the Event Hubs load balancer: take unowned and
// expired partitions up to a fair share at once, and, when the spread is still uneven, steal at most one partition
// per round from the most loaded owner. Pure: it sees one listing and decides; the store settles races.
import { isActive, type Ownership } from './ownership-store';

export interface BalanceInput {
  me: string;
  partitionCount: number;
  /** The store's listing (partitions never claimed have no record). */
  records: readonly Ownership[];
  now: number;
  /** For picking among candidates, so instances starting together do not all race for the same partitions. */
  random?: () => number;
}

export interface Claim {
  partition: number;
  /** The record as listed (undefined for a partition never claimed). */
  seen: Ownership | undefined;
  /** Taken from a live owner: it may keep working until its lease runs out, so ours starts then. */
  stolenUntil?: number;
}

export function planClaims(input: BalanceInput): Claim[] {
  const { me, partitionCount, now } = input;
  const random = input.random ?? Math.random;
  const byPartition = new Map(input.records.map((o) => [o.partition, o]));
  const load = new Map<string, Ownership[]>([[me, []]]);
  const free: number[] = [];
  for (let p = 0; p < partitionCount; p++) {
    const o = byPartition.get(p);
    if (o && isActive(o, now)) load.set(o.ownerId, [...(load.get(o.ownerId) ?? []), o]);
    else free.push(p);
  }
  const mine = load.get(me)!.length;
  const fairShare = Math.ceil(partitionCount / load.size);

  if (free.length > 0 && mine < fairShare) {
    return shuffle(free, random)
      .slice(0, fairShare - mine)
      .map((partition) => ({ partition, seen: byPartition.get(partition) }));
  }
  // Even out by one partition at a time, only from an owner with at least two more (no ping-pong).
  const [victim, theirs] = [...load.entries()].filter(([owner]) => owner !== me).sort((x, y) => y[1].length - x[1].length)[0] ?? [];
  if (!victim || !theirs || theirs.length < mine + 2) return [];
  const target = theirs[Math.floor(random() * theirs.length)];
  return [{ partition: target.partition, seen: target, stolenUntil: target.expiresAt }];
}

function shuffle<T>(items: T[], random: () => number): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}
