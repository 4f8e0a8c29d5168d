// LoginThrottle with an explicit clock: the window slides, success resets, usernames are case-insensitive.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { LoginThrottle } from "../../lib/auth/throttle";

describe("LoginThrottle", () => {
  it("blocks after maxFailures within the window and releases when the oldest failure ages out", () => {
    const t = new LoginThrottle(3, 60_000);
    t.fail("Ann", 0);
    t.fail("ann", 10_000);
    assert.equal(t.retryAfter("ANN", 10_000), 0);
    t.fail("ann", 20_000);
    assert.equal(t.retryAfter("ann", 20_000), 40);
    assert.equal(t.retryAfter("ann", 59_999), 1);
    assert.equal(t.retryAfter("ann", 60_000), 0, "the first failure left the window");
    assert.equal(t.retryAfter("bob", 20_000), 0);
  });

  it("a successful login clears the failures", () => {
    const t = new LoginThrottle(2, 60_000);
    t.fail("x", 0);
    t.fail("x", 1);
    assert.ok(t.retryAfter("x", 2) > 0);
    t.succeed("x");
    assert.equal(t.retryAfter("x", 3), 0);
  });
});
