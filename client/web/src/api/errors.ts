// Reading the server's errors: the conflict a stale move gets (ABORTED with
// a google.rpc.ErrorInfo, reason REVISION_MISMATCH) and a one-line message
// for everything else.
import { Code, ConnectError } from "@connectrpc/connect";
import { ErrorInfoSchema } from "../gen/google/rpc/error_details_pb";

export interface Conflict {
  // Where the lead is now, at which revision, and who put it there.
  readonly stage: string;
  readonly revision: bigint;
  readonly actor: string;
  readonly actorKind: string;
}

// The conflict behind a refused conditional move, or null.
export function conflictOf(error: unknown): Conflict | null {
  const e = ConnectError.from(error);
  if (e.code !== Code.Aborted) return null;
  const info = e.findDetails(ErrorInfoSchema).find((d) => d.reason === "REVISION_MISMATCH");
  if (info?.metadata.stage && info.metadata.revision) {
    return {
      stage: info.metadata.stage,
      revision: BigInt(info.metadata.revision),
      actor: info.metadata.actor ?? "",
      actorKind: info.metadata.actor_kind ?? "",
    };
  }
  // Without details (a proxy that drops them) the message says the same.
  const m = /it is in "([^"]+)" at revision (\d+)(?:, moved there by (.+))?$/.exec(e.rawMessage);
  return m ? { stage: m[1], revision: BigInt(m[2]), actor: m[3] ?? "", actorKind: "" } : null;
}

export const isUnauthenticated = (error: unknown): boolean =>
  error instanceof ConnectError && error.code === Code.Unauthenticated;

export function describe(error: unknown): string {
  const e = ConnectError.from(error);
  switch (e.code) {
    case Code.Unavailable:
      return "The server cannot be reached.";
    case Code.PermissionDenied:
      return "You may not do that with this token.";
    default:
      return e.rawMessage || String(error);
  }
}
