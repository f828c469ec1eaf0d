import { describe, expect, it } from "vitest";
import { ChangeKind } from "../gen/leadboard/v1/leadboard_pb";
import { applyBatch, SnapshotBuilder, type BoardState } from "./boardState";
import { batch, change, ids, lead, progress, synced } from "./testing";
import { unbatch } from "./unbatch";

const base = () => {
  const b = new SnapshotBuilder();
  b.add(lead("a", 1, { stage: "intake" }));
  b.add(lead("b", 2, { stage: "intake" }));
  return b.build(2n);
};
const revisions = (responses: readonly { revision: bigint }[]) => responses.map((r) => Number(r.revision));

describe("batched watch responses", () => {
  it("takes a batch among single messages apart in order", () => {
    const stream = [
      change(3, "a", { stage: "research" }),
      batch(change(4, "b", { stage: "research" }), change(5, "a", { stage: "strategy" }), change(6, "a", { stage: "enriched" })),
      change(7, "b", { stage: "strategy" }),
    ];
    const messages = stream.flatMap(unbatch);
    expect(revisions(messages)).toEqual([3, 4, 5, 6, 7]);
    expect(messages.every((m) => m.change.case === "leadChange")).toBe(true);
    // Folded, the board is where the last change of each lead put it.
    const s = applyBatch(base(), messages, 0);
    expect(ids(s.columns.enriched.leads)).toEqual(["a"]);
    expect(ids(s.columns.strategy.leads)).toEqual(["b"]);
    expect(s.columns.intake.leads).toEqual([]);
    expect(s.columns.research.leads).toEqual([]);
  });

  it("passes a response without a batch through as it is", () => {
    for (const single of [change(3, "a"), synced(3), progress(4)]) {
      const messages = unbatch(single);
      expect(messages).toHaveLength(1);
      expect(messages[0]).toBe(single);
    }
  });

  it("resumes from the batch's last message", () => {
    // A replay after a reconnect: catch-up cards, synced, a heartbeat.
    let s: BoardState = { ...base(), synced: false };
    s = applyBatch(s, unbatch(batch(
      change(8, "a", { stage: "negotiating" }, ChangeKind.CURRENT),
      change(9, "b", { stage: "enriched" }, ChangeKind.CURRENT),
      synced(9),
      progress(12),
    )), 0);
    expect(s.synced).toBe(true);
    expect(s.lastRevision).toBe(12n);
    expect(s.byId.get("a")?.stage).toBe("negotiating");
  });
});
