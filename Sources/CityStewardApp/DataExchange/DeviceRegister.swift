import CityStewardCore
import CityStewardStore
import Fluent
import Foundation
import Vapor

/// The device register's verbs — register (with the device's own key), retire, give a new key — for the console,
/// the API and the command line alike. `actor` nil: the operator at the command line, who may do all of it.
struct DeviceRegister {
    let app: Application
    let actor: Actor?
    let actorName: String

    init(app: Application, actor: Actor) {
        self.app = app
        self.actor = actor
        actorName = actor.user.displayName
    }

    init(app: Application, operator name: String) {
        self.app = app
        actor = nil
        actorName = name
    }

    static let notFound = DomainError.notFound(zh: "没有这台设备", en: "no such device")

    /// The new device and its key, shown once.
    func register(_ input: DeviceRegistration) async throws -> (device: DeviceRow, key: String) {
        let reference = try await app.caseReference.get(app.db)
        // An area the actor may not manage is answered like a missing one.
        let area = reference.areasByCode[input.areaCode.trimmingCharacters(in: .whitespaces)].flatMap { a in
            actor.map { ExchangeAccess.mayManageDevices($0, in: a) } ?? true ? a : nil
        }
        if let actor, area == nil, !ExchangeAccess.managesDevices(actor) {
            throw DomainError.forbidden(LocalizedText(zh: "无权登记设备", en: "not allowed to register devices"))
        }
        let store = DeviceStore(db: app.db)
        let directory = DirectoryStore(db: app.db)
        let code = input.code.trimmingCharacters(in: .whitespaces).uppercased()
        let taken = code.isEmpty ? false : try await store.find(code: code) != nil
        let holder = try await directory.user(username: input.keyHolder.trimmingCharacters(in: .whitespaces))
        let maySend = holder.map { $0.isActive && Permission.granted(to: $0.role).contains(.devicesSend) } ?? false
        let valid: ValidDevice
        switch DeviceRules.validate(input, area: area, codeTaken: taken, keyHolderMaySend: maySend) {
        case .failure(let problems): throw problems
        case .success(let checked): valid = checked
        }
        guard let holder else { throw Self.notFound }
        let now = app.clock.now
        return try await app.db.writeTransaction { tx in
            let (secret, info) = try await DirectoryStore(db: tx).issueToken(userID: holder.id, kind: .apiKey, name: "device \(valid.code)",
                                                                            scopes: [.devicesSend], expiresAt: nil)
            let row = try await DeviceStore(db: tx).add(valid, tokenID: info.id, at: now)
            try await AuditStore(db: tx).append(action: AuditAction.apiKeyCreated.rawValue, subject: "apikey:\(info.id.uuidString.lowercased())",
                                                detail: "device=\(valid.code) registered in \(valid.area.code); user=\(holder.username)",
                                                actorID: actor?.user.id, actorName: actorName, at: now)
            return (row, secret)
        }
    }

    /// Stops the device: its key is revoked and its events are refused; what it sent stays.
    func retire(code: String) async throws -> DeviceRow {
        let device = try await manageable(code)
        guard device.status == "active" else {
            throw DomainError.conflict(zh: "设备 \(device.code) 已停用", en: "the device \(device.code) is retired already")
        }
        let now = app.clock.now
        try await app.db.writeTransaction { tx in
            try await DeviceStore(db: tx).retire(device.id)
            if let key = device.tokenId, try await Self.onlyUser(of: key, device.id, tx) { _ = try await DirectoryStore(db: tx).revokeToken(id: key, now: now) }
            try await AuditStore(db: tx).append(action: AuditAction.apiKeyRevoked.rawValue, subject: "device:\(device.code)",
                                                detail: "retired; key=\(device.tokenId?.uuidString.lowercased() ?? "none")",
                                                actorID: actor?.user.id, actorName: actorName, at: now)
        }
        app.credentialCache.invalidateAll()
        var retired = device
        retired.status = "retired"
        return retired
    }

    /// A new key for the device (a lost or leaked one); the old stops working at once.
    func rotateKey(code: String) async throws -> (device: DeviceRow, key: String) {
        let device = try await manageable(code)
        guard device.status == "active" else {
            throw DomainError.conflict(zh: "设备 \(device.code) 已停用", en: "the device \(device.code) is retired")
        }
        let directory = DirectoryStore(db: app.db)
        guard let key = device.tokenId, let holderID = try await directory.tokenOwner(key) else {
            throw DomainError.conflict(zh: "设备 \(device.code) 没有密钥持有账号，请重新登记", en: "the device \(device.code) has no key holder; register it again")
        }
        let now = app.clock.now
        let (secret, newKey) = try await app.db.writeTransaction { tx in
            let (secret, info) = try await DirectoryStore(db: tx).issueToken(userID: holderID, kind: .apiKey, name: "device \(device.code)",
                                                                            scopes: [.devicesSend], expiresAt: nil)
            if let old = device.tokenId, try await Self.onlyUser(of: old, device.id, tx) { _ = try await DirectoryStore(db: tx).revokeToken(id: old, now: now) }
            try await DeviceStore(db: tx).setKey(device.id, tokenID: info.id)
            try await AuditStore(db: tx).append(action: AuditAction.apiKeyCreated.rawValue, subject: "apikey:\(info.id.uuidString.lowercased())",
                                                detail: "device=\(device.code) new key; old=\(device.tokenId?.uuidString.lowercased() ?? "none")",
                                                actorID: actor?.user.id, actorName: actorName, at: now)
            return (secret, info.id)
        }
        app.credentialCache.invalidateAll()
        var rekeyed = device
        rekeyed.tokenId = newKey
        return (rekeyed, secret)
    }

    /// A device the actor may manage; any other answers as missing.
    private func manageable(_ code: String) async throws -> DeviceRow {
        guard let device = try await DeviceStore(db: app.db).find(code: code.uppercased()) else { throw Self.notFound }
        if let actor {
            let reference = try await app.caseReference.get(app.db)
            guard let area = reference.areas[device.areaId], ExchangeAccess.mayManageDevices(actor, in: area) else { throw Self.notFound }
        }
        return device
    }

    /// Whether no other active device sends with this key (the demo's devices share one): only then is it revoked.
    private static func onlyUser(of key: UUID, _ device: UUID, _ db: any Database) async throws -> Bool {
        try await DeviceStore(db: db).all().allSatisfy { $0.id == device || $0.tokenId != key || $0.status != "active" }
    }
}
