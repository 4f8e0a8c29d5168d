// Errors services throw; the HTTP edge maps `status` to the response code and `body` to JSON.
export class ServiceError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = "ServiceError";
  }
}

export const unauthorized = (msg = "login required") => new ServiceError(401, "unauthorized", msg);
export const forbidden = (msg = "not allowed for your role") => new ServiceError(403, "forbidden", msg);
export const notFound = (what: string) => new ServiceError(404, "not_found", `${what} not found`);
export const badRequest = (msg: string, details?: unknown) => new ServiceError(400, "bad_request", msg, details);
/** 409 with the current (newer) state attached so the client can merge instead of losing work. */
export const conflict = (msg: string, current?: unknown) => new ServiceError(409, "conflict", msg, current);
export const invalidTransition = (from: string, action: string) =>
  new ServiceError(409, "invalid_transition", `cannot ${action} a task that is ${from}`);
