import { useCallback, useMemo, useRef } from "react";

/** Wraps a save so that `settle` can wait for it. */
export type TrackSave = <T>(work: Promise<T>) => Promise<T>;

/** The checkout's saves in flight (an email saved as its field loses focus, a shipping
 * method just picked), so that placing the order first waits for them to land. */
export function usePendingSaves(): { track: TrackSave; settle: () => Promise<void> } {
  const pending = useRef(new Set<Promise<unknown>>());
  const track = useCallback<TrackSave>((work) => {
    pending.current.add(work);
    const done = () => void pending.current.delete(work);
    work.then(done, done);
    return work;
  }, []);
  const settle = useCallback(async () => {
    while (pending.current.size > 0) await Promise.allSettled([...pending.current]);
  }, []);
  return useMemo(() => ({ track, settle }), [track, settle]);
}
