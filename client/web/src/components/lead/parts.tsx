// Small pieces the dialog's tabs share.
import type { ReactNode } from "react";

export const List = ({ items }: { items: readonly string[] }) =>
  items.length ? (
    <ul>
      {items.map((item, i) => <li key={i}>{item}</li>)}
    </ul>
  ) : null;

export const Field = ({ label, value }: { label: string; value?: string | number }) =>
  value === undefined || value === "" || value === 0 ? null : (
    <p className="field">
      <strong>{label}:</strong> {value}
    </p>
  );

// An agent that failed for this section.
export const AgentFailed = ({ error }: { error?: string }) =>
  error ? <p className="section-error">Agent failed: {error}</p> : null;

export const Item = ({ title, children }: { title: ReactNode; children?: ReactNode }) => (
  <div className="item">
    <strong>{title}</strong>
    {children}
  </div>
);

// What a tab shows when the enrichment has nothing for it.
export const Nothing = ({ what }: { what: string }) => <p className="empty">No {what} found for this lead yet.</p>;
