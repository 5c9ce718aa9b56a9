import CityStewardCore
import CityStewardStore
import Crypto
import Foundation
import NIOConcurrencyHelpers
import Vapor

/// Verified bearer credentials (token or API key → its actor) kept for a few seconds, so a busy integration (a
/// camera posting alerts, a partner system) costs no directory queries per request. A revocation in this process
/// clears the cache at once; one made elsewhere (the CLI, another instance) takes effect within `ttl`.
final class CredentialCache: Sendable {
    struct Entry {
        let token: TokenInfo
        let actor: Actor
        let loadedAt: ContinuousClock.Instant
    }

    // A lock, not an actor: the lookup is a dictionary hit, and a synchronous one lets the middleware answer a
    // cached credential without starting a task.
    private let entries = NIOLockedValueBox<[String: Entry]>([:])
    let ttl: Duration
    let capacity: Int

    init(ttl: Duration = .seconds(10), capacity: Int = 10_000) {
        self.ttl = ttl
        self.capacity = capacity
    }

    static func key(_ secret: String) -> String {
        SHA256.hash(data: Data(secret.utf8)).hexString
    }

    func get(_ key: String, now: Date) -> (TokenInfo, Actor)? {
        let ttl = self.ttl
        return entries.withLockedValue { entries in
            guard let entry = entries[key] else { return nil }
            guard ContinuousClock.now - entry.loadedAt < ttl, entry.token.expiresAt.map({ $0 > now }) ?? true else {
                entries[key] = nil
                return nil
            }
            return (entry.token, entry.actor)
        }
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
