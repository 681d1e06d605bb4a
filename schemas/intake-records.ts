/** Why ingress keeps a well-formed lead out: its vendor is over a cap, or outside its schedule. */
export const INTAKE_REFUSALS = ['cap_reached', 'outside_schedule'] as const;
export type IntakeRefusalCode = (typeof INTAKE_REFUSALS)[number];

export interface IntakeRefusal {
  code: IntakeRefusalCode;
  message: string;
}
