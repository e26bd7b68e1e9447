// The read-modify-write loop shared by the repositories: retry a round that lost an eTag race, a bounded number
// of times, and otherwise let the error through.
import { ETagConflictError, isETagConflict } from './errors';

export async function retryOnConflict<T>(what: string, maxAttempts: number, round: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await round();
    } catch (err) {
      if (!isETagConflict(err)) throw err;
      if (attempt >= maxAttempts) {
        const key = (err as { key?: unknown }).key;
        throw new ETagConflictError(
          typeof key === 'string' ? key : '(unknown key)',
          `${what} still lost the race after ${maxAttempts} attempts`,
        );
      }
    }
  }
}
