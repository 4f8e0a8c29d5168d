// GET /api/auth/me — the logged-in user.
import { ANY_ROLE } from "../../../_server/auth";
import { route } from "../../../_server/route";

export const GET = route(ANY_ROLE, async ({ actor }) => ({ user: actor }));
