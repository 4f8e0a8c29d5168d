// Roles and what each may do. Admin implies reviewer implies nothing of annotator's ownership rules:
// the checks that depend on ownership (assignee) live in the services.
export const ROLES = ["annotator", "reviewer", "admin"] as const;
export type Role = (typeof ROLES)[number];

export function isRole(value: string): value is Role {
  return (ROLES as readonly string[]).includes(value);
}

/** The authenticated principal as every service sees it. */
export interface Actor {
  id: number;
  username: string;
  displayName: string;
  role: Role;
}

export function hasRole(actor: Actor, allowed: readonly Role[]): boolean {
  return allowed.includes(actor.role);
}
