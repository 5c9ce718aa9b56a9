import CityStewardCore
import CityStewardStore
import Crypto
import Foundation
import NIOConcurrencyHelpers
import Vapor

/// Verified bearer credentials (token or API key → its actor) kept for a few seconds, so a busy integration (a
/// camera posting alerts, a partner system) costs no directory queries per request. A revocation in this process
/// clears the cache at once; one made elsewhere (the CLI, another instance) takes effect within `ttl`.
///
/// When an entry grows old, the first request to notice verifies the credential again and the others keep using
/// the entry meanwhile (for at most `grace` more): before, every request in flight at that moment queried the
/// directory at once, a stall every `ttl` under load. A failed check removes the entry, so a revoked key stops
/// working for everyone as soon as it is noticed.
final class CredentialCache: Sendable {
    struct Entry {
        let token: TokenInfo
        let actor: Actor
        let loadedAt: ContinuousClock.Instant
        var checking = false
    }

    // A lock, not an actor: the lookup is a dictionary hit, and a synchronous one lets the middleware answer a
    // cached credential without starting a task.
    private let entries = NIOLockedValueBox<[String: Entry]>([:])
    let ttl: Duration
    let grace: Duration
    let capacity: Int

    init(ttl: Duration = .seconds(10), grace: Duration = .seconds(5), capacity: Int = 10_000) {
        self.ttl = ttl
        self.grace = grace
        self.capacity = capacity
    }

    static func key(_ secret: String) -> String {
        SHA256.hash(data: Data(secret.utf8)).hexString
    }

    /// The cached actor, or nil: then the caller verifies the credential and `put`s (or `remove`s) it.
    func get(_ key: String, now: Date) -> (TokenInfo, Actor)? {
        let ttl = self.ttl, grace = self.grace
        return entries.withLockedValue { entries in
            guard var entry = entries[key] else { return nil }
            let age = ContinuousClock.now - entry.loadedAt
            guard age < ttl + grace, entry.token.expiresAt.map({ $0 > now }) ?? true else {
                entries[key] = nil
                return nil
            }
            if age >= ttl {
                if entry.checking { return (entry.token, entry.actor) }   // someone is checking it again
                entry.checking = true
                entries[key] = entry
                return nil
            }
            return (entry.token, entry.actor)
        }
    }

    func remove(_ key: String) {
        entries.withLockedValue { $0[key] = nil }
    }

    func put(_ key: String, token: TokenInfo, actor: Actor) {
        let capacity = self.capacity
        entries.withLockedValue { entries in
            if entries.count >= capacity { entries.removeAll(keepingCapacity: true) }
            entries[key] = Entry(token: token, actor: actor, loadedAt: .now)
        }
    }

    func invalidateAll() {
        entries.withLockedValue { $0.removeAll() }
    }
}

extension Application {
    private struct CredentialCacheKey: StorageKey { typealias Value = CredentialCache }
    var credentialCache: CredentialCache {
        get { storage[CredentialCacheKey.self]! }
        set { storage[CredentialCacheKey.self] = newValue }
    }
}

extension Sequence where Element == UInt8 {
    /// Lower-case hex, without a formatter per byte.
    var hexString: String {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(64)
        for byte in self {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
