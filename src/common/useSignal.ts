import { ISignal } from '@lumino/signaling';
import * as React from 'react';

/**
 * Re-render the component whenever `signal` emits (a model's
 * `stateChanged`), calling `slot` first if one is given. Connects on mount
 * and when the signal changes, disconnects on unmount.
 *
 * Returns how many emissions the component has seen.
 */
export function useSignal<T, U>(
  signal: ISignal<T, U> | null | undefined,
  slot?: (sender: T, args: U) => void
): number {
  const [count, setCount] = React.useState(0);
  const latestSlot = React.useRef(slot);
  latestSlot.current = slot;
  React.useEffect(() => {
    if (!signal) {
      return;
    }
    const onEmit = (sender: T, args: U) => {
      latestSlot.current?.(sender, args);
      setCount(n => n + 1);
    };
    signal.connect(onEmit);
    return () => {
      signal.disconnect(onEmit);
    };
  }, [signal]);
  return count;
}
