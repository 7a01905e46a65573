import { useCallback, useLayoutEffect, useRef } from "react";
import type { TrackSave } from "./pendingSaves";

/**
 * Saves a value to the server one request at a time, the last value winning: while a save
 * is in flight, a new value waits for it and replaces any value already waiting (the ones
 * in between are never sent), and asking again for the value in flight or waiting sends
 * nothing more. So the saves land in the order the shopper made them, and the cart ends
 * with the last one.
 *
 * `save` sends one value and says whether it was saved (it shows its own errors). The
 * function returned resolves once nothing is left to send, with whether the last value
 * sent was saved; callers of the same run get the same answer. `track` lets the checkout
 * wait for the run before placing the order.
 */
export function useLatestSave<T>(
  save: (value: T) => Promise<boolean>,
  track?: TrackSave,
): (value: T) => Promise<boolean> {
  const latest = useRef({ save, track });
  useLayoutEffect(() => {
    latest.current = { save, track };
  });
  const wanted = useRef<{ value: T } | null>(null);
  const running = useRef<Promise<boolean> | null>(null);

  return useCallback((value: T) => {
    wanted.current = { value };
    if (running.current) return running.current;
    const run = (async () => {
      let saved = false;
      try {
        let sent: { value: T } | null = null;
        // Until the value last sent is the one wanted (a pick and back costs nothing more).
        while (!sent || !Object.is(sent.value, wanted.current!.value)) {
          sent = wanted.current!;
          saved = await latest.current.save(sent.value);
        }
        return saved;
      } finally {
        wanted.current = null;
        running.current = null;
      }
    })();
    running.current = run;
    latest.current.track?.(run);
    return run;
  }, []);
}
