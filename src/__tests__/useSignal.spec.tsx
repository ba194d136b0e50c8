import { Signal } from '@lumino/signaling';
import * as React from 'react';
import { act } from 'react';
import { createRoot, Root } from 'react-dom/client';

import { useSignal } from '../common/useSignal';

class Source {
  value = 0;
  readonly changed = new Signal<Source, number>(this);

  set(value: number): void {
    this.value = value;
    this.changed.emit(value);
  }
}

function View(props: {
  source: Source;
  slot?: (sender: Source, args: number) => void;
}): JSX.Element {
  useSignal(props.source.changed, props.slot);
  return <span>{props.source.value}</span>;
}

describe('useSignal', () => {
  let host: HTMLDivElement;
  let root: Root;

  beforeEach(() => {
    (globalThis as any).IS_REACT_ACT_ENVIRONMENT = true;
    host = document.createElement('div');
    document.body.appendChild(host);
    root = createRoot(host);
  });

  afterEach(() => {
    host.remove();
  });

  it('re-renders on every emission and calls the slot', async () => {
    const source = new Source();
    const slot = jest.fn();
    await act(async () => root.render(<View source={source} slot={slot} />));
    expect(host.textContent).toBe('0');
    act(() => source.set(3));
    expect(host.textContent).toBe('3');
    expect(slot).toHaveBeenCalledWith(source, 3);
    act(() => root.unmount());
  });

  it('disconnects on unmount', async () => {
    const source = new Source();
    const slot = jest.fn();
    await act(async () => root.render(<View source={source} slot={slot} />));
    act(() => root.unmount());
    source.set(1);
    expect(slot).not.toHaveBeenCalled();
  });

  it('follows a new signal and leaves the old one', async () => {
    const first = new Source();
    const second = new Source();
    const slot = jest.fn();
    await act(async () => root.render(<View source={first} slot={slot} />));
    await act(async () => root.render(<View source={second} slot={slot} />));
    first.set(1);
    expect(slot).not.toHaveBeenCalled();
    act(() => second.set(2));
    expect(slot).toHaveBeenCalledTimes(1);
    expect(host.textContent).toBe('2');
    act(() => root.unmount());
  });
});
