/**
 * Several stacks' plans as one (site stacks: one stack per site, one catalog): every server named
 * `<stack>/<server>`, since two sites may both have a `pxe-1`; warnings named by their stack.
 * Pure: plans in, one plan out, in stack order.
 */
import type { Impact, ServerImpact } from "../impact";
import type { ServerPlace } from "../report/reportContext";
import type { PlannedFile } from "../review/plannedFile";
import type { Plan } from "./fromPreview";

export interface StackPlan {
  readonly stack: string;
  readonly plan: Plan;
  /** Site and wave of each of the stack's servers. */
  readonly places: Readonly<Record<string, ServerPlace>>;
}

/** The name a server has in a merged plan. */
export const stackServer = (stack: string, server: string) => `${stack}/${server}`;

const prefixed = <V>(stack: string, record: Readonly<Record<string, V>>): Record<string, V> =>
  Object.fromEntries(Object.entries(record).map(([server, v]) => [stackServer(stack, server), v]));

export function mergeStackPlans(plans: readonly StackPlan[]): { plan: Plan; places: Record<string, ServerPlace> } {
  const servers: Record<string, ServerImpact> = {};
  const files: Record<string, readonly PlannedFile[]> = {};
  const notes: Record<string, readonly string[]> = {};
  const urns: Record<string, readonly string[]> = {};
  const places: Record<string, ServerPlace> = {};
  const touched: string[] = [];
  const warnings: string[] = [];
  for (const { stack, plan, places: p } of plans) {
    Object.assign(servers, prefixed(stack, plan.impact.servers));
    Object.assign(files, prefixed(stack, plan.files));
    Object.assign(notes, prefixed(stack, plan.notes));
    Object.assign(urns, prefixed(stack, plan.urns));
    Object.assign(places, prefixed(stack, p));
    touched.push(...plan.impact.touched.map((s) => stackServer(stack, s)));
    warnings.push(...plan.warnings.map((w) => `${stack}: ${w}`));
  }
  const impact: Impact = { touched, servers };
  return { plan: { impact, files, notes, urns, warnings }, places };
}
