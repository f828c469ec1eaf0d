// Moving a card (MoveLead) through TanStack Query's mutation lifecycle:
//   onMutate  lay the move over the board at once (the card shows pending);
//   onSuccess keep it there until the watch stream delivers the move's
//             revision (then the stream's own MOVED change takes over, with
//             no flicker);
//   onError   a conflict (someone moved it first) shows the card where the
//             server says and names who moved it; anything else rolls back
//             to the server's truth.
// The request carries the card's revision (expected_revision) and the
// person's name (actor).
import { useMutation } from "@tanstack/react-query";
import { conflictOf, describe, isUnauthenticated } from "../api/errors";
import { useAuth } from "../api/session";
import { useLeadBoard } from "../api/transport";
import { useToast } from "../components/Toasts";
import type { BoardColumn } from "../gen/leadboard/v1/board_pb";
import type { Lead } from "../gen/leadboard/v1/lead_pb";
import { useBoardStore } from "./useBoardState";

export interface MoveRequest {
  lead: Lead;
  to: BoardColumn;
  note?: string;
}

let nameTipShown = false;

const company = (lead: Lead) => lead.profile?.companyName || lead.id;

export function useMoveLead(columns: readonly BoardColumn[]) {
  const client = useLeadBoard();
  const store = useBoardStore();
  const toast = useToast();
  const { session } = useAuth();
  const title = (id: string) => columns.find((c) => c.id === id)?.title ?? id;

  return useMutation({
    mutationFn: ({ lead, to, note }: MoveRequest) =>
      client.moveLead({
        leadId: lead.id,
        toStage: to.id,
        expectedRevision: lead.revision,
        note: note ?? "",
        actor: session.name,
      }),
    onMutate: ({ lead, to }) => {
      if (!session.name && !nameTipShown) {
        nameTipShown = true;
        toast("Tip: put your name in the menu at the top right, so others see who moved a card.", "info");
      }
      return { token: store.beginMove(lead, to.id) };
    },
    onSuccess: (response, { lead }, context) => {
      store.confirmMove(lead.id, context.token, response.lead?.revision ?? lead.revision);
    },
    onError: (error, { lead }, context) => {
      if (!context) return;
      const conflict = conflictOf(error);
      if (conflict) {
        store.correctMove(lead.id, context.token, conflict.stage, conflict.revision);
        const who = conflict.actorKind === "AGENT"
          ? `Agent ${conflict.actor}`
          : conflict.actor || "Someone";
        toast(`${who} moved ${company(lead)} to ${title(conflict.stage)} first`, "warn");
        return;
      }
      store.dropMove(lead.id, context.token);
      if (!isUnauthenticated(error)) toast(`Could not move ${company(lead)}: ${describe(error)}`, "error");
    },
  });
}
