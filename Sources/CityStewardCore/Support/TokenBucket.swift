import Foundation

/// A rate limit as a bucket of tokens (one per request) that refills at a steady rate up to a burst: the decision
/// alone, so the App only keeps one bucket per client.
public struct TokenBucket: Sendable, Equatable {
    public var tokens: Double
    public var updated: Date

    public init(tokens: Double, updated: Date) {
        self.tokens = tokens
        self.updated = updated
    }

    public struct Rule: Sendable, Equatable {
        public var perMinute: Double
        public var burst: Double

        public init(perMinute: Double, burst: Double) {
            self.perMinute = perMinute
            self.burst = burst
        }
    }

    public struct Decision: Sendable, Equatable {
        public var bucket: TokenBucket
        public var allowed: Bool
        /// Whole seconds until a token is back (0 when allowed).
        public var retryAfter: Int
    }

    /// Takes a token from `bucket` (nil: a new client, full) at `now`.
    public static func take(_ bucket: TokenBucket?, rule: Rule, now: Date) -> Decision {
        let rate = rule.perMinute / 60
        var b = bucket ?? TokenBucket(tokens: rule.burst, updated: now)
        b.tokens = min(rule.burst, b.tokens + max(0, now.timeIntervalSince(b.updated)) * rate)
        b.updated = now
        guard b.tokens >= 1 else {
            return Decision(bucket: b, allowed: false, retryAfter: max(1, Int(((1 - b.tokens) / rate).rounded(.up))))
        }
        b.tokens -= 1
        return Decision(bucket: b, allowed: true, retryAfter: 0)
    }

    /// Whether a bucket left alone this long is full again (and can be forgotten).
    public func isFull(rule: Rule, at now: Date) -> Bool {
        tokens + max(0, now.timeIntervalSince(updated)) * rule.perMinute / 60 >= rule.burst
    }
}
