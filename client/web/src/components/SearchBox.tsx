// Search by company or website; "/" anywhere focuses it, Escape clears it.
import { useEffect, useRef } from "react";

export function SearchBox({ value, onChange }: { value: string; onChange: (q: string) => void }) {
  const input = useRef<HTMLInputElement>(null);
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const target = e.target as HTMLElement;
      const typing = target.closest("input, textarea, select, [contenteditable=true]");
      if (e.key === "/" && !typing && !e.ctrlKey && !e.metaKey && !e.altKey) {
        e.preventDefault();
        input.current?.focus();
        input.current?.select();
      }
    };
    document.addEventListener("keydown", onKey);
    return () => document.removeEventListener("keydown", onKey);
  }, []);
  return (
    <div className="search">
      <input
        ref={input}
        type="search"
        value={value}
        placeholder="Search leads…"
        aria-label="Search leads by company or website"
        data-testid="search"
        onChange={(e) => onChange(e.target.value)}
        onKeyDown={(e) => {
          if (e.key === "Escape") {
            onChange("");
            input.current?.blur();
          }
        }}
      />
      <kbd className="search-key" aria-hidden>/</kbd>
    </div>
  );
}
