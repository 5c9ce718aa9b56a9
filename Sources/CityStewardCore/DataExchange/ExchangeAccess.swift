import Foundation

/// Who sees the device register and the data consumers, and who changes what leaves (plan §8), in one place.
public enum ExchangeAccess {
    /// The device register (with positions): staff who work cases, in their areas. Residents and data consumers
    /// get nothing: a consumer's data is its desensitized feed.
    public static func deviceScope(for actor: Actor) -> AreaScope {
        actor.can(.casesRead) ? AccessPolicy.areaScope(for: actor) : .nothing
    }

    public static func mayViewDevices(_ actor: Actor) -> Bool { deviceScope(for: actor) != .nothing }

    /// A consumer's feed, rules and webhook: the consumer's own account, or the district office. Anyone else is
    /// answered as if the consumer did not exist.
    public static func mayUse(consumerOwnedBy owner: UUID, _ actor: Actor) -> Bool {
        actor.can(.feedsRead) && (owner == actor.user.id || actor.role == .districtAdmin)
    }

    /// Creating data consumers and changing which villages and kinds they receive: the district office only.
    public static func mayManageConsumers(_ actor: Actor) -> Bool {
        actor.can(.feedsManage)
    }

    /// The account a consumer reads with: an active account of a data consumer, never a staff one (its rights are the
    /// feed and nothing else).
    public static func mayReadAsConsumer(_ account: User) -> Bool {
        account.isActive && account.role == .dataConsumer
    }

    /// Changing a consumer's desensitization rules: the district office only.
    public static func mayChangeRules(_ actor: Actor) -> Bool {
        actor.can(.feedsManage)
    }
}
