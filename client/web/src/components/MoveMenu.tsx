// The card's "⋮" menu: Move to… (the keyboard path for every drag), with an
// optional note, and Open details. It opens over the board (a portal), so a
// column's scroll does not clip it; arrow keys move between items, Escape
// closes it and gives focus back to the button.
import { useEffect, useLayoutEffect, useRef, useState, type KeyboardEvent, type SyntheticEvent } from "react";
import { createPortal } from "react-dom";
import { dragRefusal, moveTargets } from "../board/columns";
import type { BoardColumn } from "../gen/leadboard/v1/board_pb";
import type { Lead } from "../gen/leadboard/v1/lead_pb";

const stop = (e: SyntheticEvent) => e.stopPropagation();

export function MoveMenu({ lead, from, columns, onMove, onOpen }: {
  lead: Lead;
  from: BoardColumn | undefined;
  columns: readonly BoardColumn[];
  onMove: (lead: Lead, to: BoardColumn, note?: string) => void;
  onOpen: (id: string) => void;
}) {
  const [open, setOpen] = useState(false);
  const [note, setNote] = useState("");
  const [place, setPlace] = useState({ top: 0, left: 0 });
  const button = useRef<HTMLButtonElement>(null);
  const menu = useRef<HTMLDivElement>(null);
  const company = lead.profile?.companyName || lead.id;
  const refusal = dragRefusal(lead, from);
  const targets = open ? moveTargets(lead, columns) : [];

  useLayoutEffect(() => {
    if (!open || !button.current) return;
    const r = button.current.getBoundingClientRect();
    const width = 240;
    setPlace({ top: Math.min(r.bottom + 4, window.innerHeight - 320), left: Math.max(8, Math.min(r.right - width, window.innerWidth - width - 8)) });
  }, [open]);
  useEffect(() => {
    if (!open) return;
    menu.current?.querySelector<HTMLElement>("[role=menuitem]")?.focus();
    const onDown = (e: PointerEvent) => {
      if (!menu.current?.contains(e.target as Node) && e.target !== button.current) setOpen(false);
    };
    document.addEventListener("pointerdown", onDown);
    return () => document.removeEventListener("pointerdown", onDown);
  }, [open]);

  const close = () => {
    setOpen(false);
    setNote("");
    button.current?.focus();
  };
  const onMenuKey = (e: KeyboardEvent) => {
    e.stopPropagation();
    if (e.key === "Escape") return close();
    if (e.key !== "ArrowDown" && e.key !== "ArrowUp") return;
    const items = [...(menu.current?.querySelectorAll<HTMLElement>("[role=menuitem]") ?? [])];
    const at = items.indexOf(document.activeElement as HTMLElement);
    const next = items[(at + (e.key === "ArrowDown" ? 1 : items.length - 1)) % items.length];
    next?.focus();
    e.preventDefault();
  };

  return (
    <>
      <button
        ref={button}
        className="card-menu-button"
        aria-haspopup="menu"
        aria-expanded={open}
        aria-label={`Actions for ${company}`}
        data-testid="move-menu-button"
        onPointerDown={stop}
        onKeyDown={stop}
        onClick={(e) => {
          e.stopPropagation();
          setOpen(!open);
        }}
      >
        ⋮
      </button>
      {open &&
        createPortal(
          <div ref={menu} className="move-menu" role="menu" aria-label={`Move ${company}`} style={place}
               onKeyDown={onMenuKey} onClick={stop} onPointerDown={stop} data-testid="move-menu">
            <div className="move-menu-title">Move {company} to…</div>
            {refusal ? (
              <p className="move-menu-refusal">{refusal}: it can be moved once its run ends.</p>
            ) : targets.length === 0 ? (
              <p className="move-menu-refusal">No column to move it to.</p>
            ) : (
              <>
                {targets.map((to) => (
                  <button key={to.id} role="menuitem" className="move-menu-item" data-testid={`move-to-${to.id}`}
                          onClick={() => {
                            onMove(lead, to, note.trim() || undefined);
                            close();
                          }}>
                    → {to.title}
                  </button>
                ))}
                <label className="move-menu-note">
                  Note (optional)
                  <input value={note} onChange={(e) => setNote(e.target.value)} maxLength={500} placeholder="Why?"
                         onKeyDown={(e) => e.key !== "Escape" && e.stopPropagation()} data-testid="move-note" />
                </label>
              </>
            )}
            <button role="menuitem" className="move-menu-item move-menu-open" onClick={() => { setOpen(false); onOpen(lead.id); }}>
              Open details
            </button>
          </div>,
          document.body,
        )}
    </>
  );
}
