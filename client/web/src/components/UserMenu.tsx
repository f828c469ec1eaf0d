// Who is moving cards: the name recorded as the actor, and sign-out when the
// board signed in with a token.
import { useEffect, useRef, useState, type FormEvent } from "react";
import { useAuth } from "../api/session";

export function UserMenu() {
  const auth = useAuth();
  const [open, setOpen] = useState(false);
  const [name, setName] = useState(auth.session.name);
  const root = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (!open) return;
    const onDown = (e: PointerEvent) => {
      if (!root.current?.contains(e.target as Node)) setOpen(false);
    };
    const onKey = (e: KeyboardEvent) => e.key === "Escape" && setOpen(false);
    document.addEventListener("pointerdown", onDown);
    document.addEventListener("keydown", onKey);
    return () => {
      document.removeEventListener("pointerdown", onDown);
      document.removeEventListener("keydown", onKey);
    };
  }, [open]);
  const save = (e: FormEvent) => {
    e.preventDefault();
    auth.setName(name);
    setOpen(false);
  };
  const label = auth.session.name || "Guest";
  return (
    <div className="user-menu" ref={root}>
      <button className="user-button" aria-haspopup="dialog" aria-expanded={open} onClick={() => setOpen(!open)}
              data-testid="user-menu">
        <span className="avatar" aria-hidden>{label.slice(0, 1).toUpperCase()}</span>
        <span className="user-name">{label}</span> ▾
      </button>
      {open && (
        <div className="user-popover" role="dialog" aria-label="You">
          <form onSubmit={save}>
            <label>
              Your name on moves
              <input value={name} onChange={(e) => setName(e.target.value)} placeholder="Ana" autoFocus
                     data-testid="user-name" />
            </label>
            <button type="submit" className="primary">Save</button>
          </form>
          {auth.session.token && (
            <button className="signout" onClick={() => auth.signOut()} data-testid="sign-out">Sign out</button>
          )}
        </div>
      )}
    </div>
  );
}
