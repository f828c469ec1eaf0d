import { create } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { LeadSchema } from "./gen/leadboard/v1/lead_pb";
import {
  ChangeKind,
  LeadChangeSchema,
  ProgressSchema,
  SyncedSchema,
  WatchLeadsResponseSchema,
} from "./gen/leadboard/v1/leadboard_pb";
import { initialBoardState, leadsInColumn, reduce, type BoardState } from "./boardState";

const change = (revision: number, id: string, stage: string, kind = ChangeKind.STAGE_CHANGED, leadRevision = revision) =>
  create(WatchLeadsResponseSchema, {
    revision: BigInt(revision),
    change: {
      case: "leadChange",
      value: create(LeadChangeSchema, {
        kind,
        lead: create(LeadSchema, { id, stage, revision: BigInt(leadRevision), jobId: "job" }),
      }),
    },
  });
const synced = (revision: number) =>
  create(WatchLeadsResponseSchema, { revision: BigInt(revision), change: { case: "synced", value: create(SyncedSchema) } });
const progress = (revision: number) =>
  create(WatchLeadsResponseSchema, { revision: BigInt(revision), change: { case: "progress", value: create(ProgressSchema) } });

const play = (state: BoardState, ...responses: ReturnType<typeof change>[]) =>
  responses.reduce((s, response) => reduce(s, { type: "response", response }), state);

describe("board reducer", () => {
  it("shows the snapshot only once synced, then applies live changes", () => {
    let s = play(initialBoardState, change(3, "a", "research", ChangeKind.SNAPSHOT), change(5, "b", "intake", ChangeKind.SNAPSHOT));
    expect(Object.keys(s.leads)).toEqual([]);
    s = play(s, synced(5));
    expect(s.synced).toBe(true);
    expect(s.lastRevision).toBe(5n);
    expect(s.leads.a.stage).toBe("research");
    s = play(s, change(6, "a", "qualification"));
    expect(s.leads.a.stage).toBe("qualification");
    expect(s.lastRevision).toBe(6n);
  });

  it("never lets an older revision overwrite a newer one", () => {
    let s = play(initialBoardState, synced(0), change(7, "a", "strategy"), change(4, "a", "research"));
    expect(s.leads.a.stage).toBe("strategy");
    expect(s.lastRevision).toBe(7n);
  });

  it("ignores duplicates", () => {
    const s1 = play(initialBoardState, synced(0), change(2, "a", "intake"));
    const s2 = play(s1, change(2, "a", "intake"));
    expect(s2).toBe(s1);
  });

  it("replaces the whole board on a resync after OUT_OF_RANGE", () => {
    let s = play(initialBoardState, synced(0), change(1, "gone", "intake"), change(2, "kept", "intake"));
    s = reduce(s, { type: "restart" });
    expect(s.lastRevision).toBe(0n);
    expect(s.leads.gone).toBeDefined(); // still shown until the new snapshot is complete
    s = play(s, change(9, "kept", "enriched", ChangeKind.SNAPSHOT), synced(40));
    expect(Object.keys(s.leads)).toEqual(["kept"]);
    expect(s.leads.kept.stage).toBe("enriched");
    expect(s.lastRevision).toBe(40n);
  });

  it("advances the resume point with heartbeats after synced", () => {
    let s = play(initialBoardState, progress(3));
    expect(s.lastRevision).toBe(0n);
    s = play(s, synced(3), progress(8));
    expect(s.lastRevision).toBe(8n);
  });

  it("groups leads by column and job, newest first", () => {
    const s = play(initialBoardState, synced(0), change(1, "a", "research"), change(2, "b", "research"), change(3, "c", "intake"));
    expect(leadsInColumn(s, "research", "").map((l) => l.id)).toEqual(["b", "a"]);
    expect(leadsInColumn(s, "research", "other-job")).toEqual([]);
  });
});
