import type { ComponentChildren } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';

/** Where our own picture was put: a fraction of the room it has to move in, across and down. */
interface Place {
  across: number;
  down: number;
}

/** Kept clear between our picture and the stage's edges (px). */
const MARGIN = 8;

const clamp = (n: number) => Math.min(1, Math.max(0, n));

/**
 * Our own picture, small in a corner of the stage; dragged (mouse, finger or pen) anywhere inside the
 * stage, which never reaches under the controls. Its place is kept as a share of the free room, so when
 * the phone turns or the window changes size it stays in the same corner and inside the screen.
 */
export function SelfView({ label, children }: { label: string; children: ComponentChildren }) {
  const ref = useRef<HTMLElement>(null);
  const grab = useRef<{ pointerId: number; dx: number; dy: number } | null>(null);
  const [place, setPlace] = useState<Place | null>(null);
  const [dragging, setDragging] = useState(false);
  const [, remeasured] = useState(0);

  useEffect(() => {
    const self = ref.current;
    const stage = self?.parentElement;
    if (!self || !stage || typeof ResizeObserver === 'undefined') return;
    const observer = new ResizeObserver(() => remeasured((n) => n + 1));
    observer.observe(stage);
    observer.observe(self);
    return () => observer.disconnect();
  }, []);

  const room = () => {
    const self = ref.current!;
    const stage = self.parentElement!;
    return { width: Math.max(0, stage.clientWidth - self.offsetWidth - 2 * MARGIN), height: Math.max(0, stage.clientHeight - self.offsetHeight - 2 * MARGIN), stage };
  };

  const onPointerDown = (e: PointerEvent) => {
    if (e.pointerType === 'mouse' && e.button !== 0) return;
    const self = ref.current;
    if (!self) return;
    const box = self.getBoundingClientRect();
    grab.current = { pointerId: e.pointerId, dx: e.clientX - box.left, dy: e.clientY - box.top };
    self.setPointerCapture(e.pointerId);
    setDragging(true);
    e.preventDefault();
  };
  const onPointerMove = (e: PointerEvent) => {
    const g = grab.current;
    if (!g || g.pointerId !== e.pointerId) return;
    const { width, height, stage } = room();
    const origin = stage.getBoundingClientRect();
    const left = e.clientX - g.dx - origin.left - stage.clientLeft - MARGIN;
    const top = e.clientY - g.dy - origin.top - stage.clientTop - MARGIN;
    setPlace({ across: width ? clamp(left / width) : 0, down: height ? clamp(top / height) : 0 });
  };
  const onPointerUp = (e: PointerEvent) => {
    if (grab.current?.pointerId !== e.pointerId) return;
    grab.current = null;
    setDragging(false);
  };

  let style: Record<string, string> | undefined;
  if (place && ref.current?.parentElement) {
    const { width, height } = room();
    style = { left: `${MARGIN + place.across * width}px`, top: `${MARGIN + place.down * height}px`, right: 'auto', bottom: 'auto' };
  }
  return (
    <figure
      ref={ref}
      class={dragging ? 'self dragging' : 'self'}
      style={style}
      title={label}
      onPointerDown={onPointerDown}
      onPointerMove={onPointerMove}
      onPointerUp={onPointerUp}
      onPointerCancel={onPointerUp}
    >
      {children}
    </figure>
  );
}
