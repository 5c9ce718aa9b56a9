import CityStewardCore
import Foundation
import NIOConcurrencyHelpers
import Vapor

/// Anonymous reads of the public lists and pages (Open311 lists, a case's public page, tracking links, the search,
/// nearby reports) are limited per client address: anyone on the internet may call them, and each is a database
/// read. Over the limit: 429 with Retry-After. `CITYSTEWARD_PUBLIC_RATE_PER_MINUTE` (0: no limit).
final class PublicRateLimiter: Sendable {
    let rule: TokenBucket.Rule
    private let buckets = NIOLockedValueBox([String: TokenBucket]())

    init(rule: TokenBucket.Rule) {
        self.rule = rule
    }

    /// The paths it guards: reads only (writes have their own checks).
    static func guards(_ request: Request) -> Bool {
        guard request.method == .GET || request.method == .HEAD else { return false }
        let path = request.path
        return path.hasPrefix("/open311/v2/requests") || path.hasPrefix("/c/") || path.hasPrefix("/t/") || path == "/find" || path == "/report/nearby"
            || path.hasPrefix("/v/") || path.hasPrefix("/n/") || path.hasPrefix("/a/") || path.hasPrefix("/ac/") || path.hasPrefix("/d/")
    }

    /// The client: the peer, or — when the peer is a proxy on this machine — the address it forwarded.
    static func client(_ request: Request) -> String {
        let peer = request.remoteAddress?.ipAddress ?? "local"
        if peer == "127.0.0.1" || peer == "::1" || peer == "local", let forwarded = request.headers.first(name: "X-Forwarded-For")?.split(separator: ",").last {
            return forwarded.trimmingCharacters(in: .whitespaces)
        }
        return peer
    }

    func take(_ client: String, now: Date) -> TokenBucket.Decision {
        buckets.withLockedValue { all in
            let decision = TokenBucket.take(all[client], rule: rule, now: now)
            all[client] = decision.bucket
            // Forget clients whose buckets are full again, so the table stays small.
            if all.count > 50_000 { all = all.filter { !$0.value.isFull(rule: rule, at: now) } }
            return decision
        }
    }
}

struct PublicRateLimitMiddleware: Middleware {
    let limiter: PublicRateLimiter

    func respond(to request: Request, chainingTo next: any Responder) -> EventLoopFuture<Response> {
        guard PublicRateLimiter.guards(request) else { return next.respond(to: request) }
        let decision = limiter.take(PublicRateLimiter.client(request), now: request.now)
        guard decision.allowed else {
            return request.eventLoop.makeFailedFuture(DomainError.rateLimited(retryAfterSeconds: decision.retryAfter, LocalizedText(
                zh: "请求过于频繁，请 \(decision.retryAfter) 秒后再试", en: "too many requests; try again in \(decision.retryAfter) s")))
        }
        return next.respond(to: request)
    }
}
