import CityStewardCore
import CityStewardStore
import Crypto
import Fluent
import Foundation
import Vapor

/// Activities for residents (issue 20 §2): organising, cancelling and reporting them and the villages' themes (the
/// console and the API both call these), and the residents' side on the portal: signing up with a phone number
/// (sealed), cancelling by the receipt's link, and checking in by the code at the place.
struct ActivitiesService {
    let req: Request

    var store: ActivityStore { ActivityStore(db: req.db) }

    static let forbidden = DomainError.forbidden(LocalizedText(zh: "无权组织活动", en: "not allowed to organise activities"))

    /// A kind as the API names it; anything else is a request that cannot be read (400).
    static func kind(_ text: String?) throws -> ActivityKind? {
        guard let text, !text.isEmpty else { return nil }
        guard let k = ActivityKind(rawValue: text) else {
            let values = ActivityKind.allCases.map(\.rawValue).joined(separator: ", ")
            throw DomainError.invalid("kind", zh: "kind 应为 \(values) 之一", en: "kind is one of \(values)")
        }
        return k
    }

    /// The village by code or id, if the caller may organise there.
    private func village(_ text: String?, actor: Actor, reference: CaseReference) -> Area? {
        guard let text = text?.trimmingCharacters(in: .whitespaces), !text.isEmpty,
              let area = reference.areasByCode[text] ?? UUID(uuidString: text).flatMap({ reference.areas[$0] }),
              area.kind == .village, ActivityAccess.mayOrganise(actor, villagePath: area.path) else { return nil }
        return area
    }

    /// The villages the caller may organise in, by code.
    func organisable() async throws -> [Area] {
        let actor = try req.requireActor()
        let reference = try await req.caseReference()
        return reference.areas.values.filter { $0.kind == .village && ActivityAccess.mayOrganise(actor, villagePath: $0.path) }.sorted { $0.code < $1.code }
    }

    func organise(area: String?, input: ActivityInput) async throws -> Activity {
        let actor = try req.requireActor()
        guard ActivityAccess.organiseScope(for: actor) != .nothing else { throw Self.forbidden }
        let reference = try await req.caseReference()
        let chosen = village(area, actor: actor, reference: reference)
        // The village's outline with a margin of about 200 m (the reference in memory has no shapes; the store has).
        var box: GeoBox?
        if let chosen, let b = try await AreaStore(db: req.db).find(code: chosen.code)?.shape?.boundingBox {
            box = GeoBox(minLat: b.minLat - 0.002, minLong: b.minLong - 0.002, maxLat: b.maxLat + 0.002, maxLong: b.maxLong + 0.002)
        }
        let draft: ActivityDraft
        switch ActivityRules.validate(input, village: chosen?.id, box: box, now: req.now) {
        case .failure(let p): throw p
        case .success(let d): draft = d
        }
        guard let chosen else { throw Self.forbidden }
        let activity = Activity(id: UUID(), kind: draft.kind, title: draft.title, description: draft.description, areaID: draft.areaID, place: draft.place,
                                position: draft.position, radiusMetres: draft.radiusMetres, startsAt: draft.startsAt, endsAt: draft.endsAt,
                                organiser: draft.organiser, orgID: actor.org?.id, capacity: draft.capacity, checkinCode: PatrolService.newCode(),
                                createdBy: actor.user.id, createdAt: req.now)
        let (now, who) = (req.now, actor)
        try await store.create(activity, path: chosen.path) { db in
            try await AuditStore(db: db).append(action: AuditAction.activityCreated.rawValue, subject: Self.subject(activity.id),
                                                detail: "\(activity.kind.rawValue) \(chosen.code): \(activity.title)", actorID: who.user.id,
                                                actorName: who.user.displayName, at: now)
        }
        return activity
    }

    static func subject(_ id: UUID) -> String { "activity:\(id.uuidString.lowercased())" }

    /// An activity the caller may see in the console (else 404, like a missing one) with its village's path.
    func find(_ id: String?) async throws -> (activity: Activity, path: [UUID]) {
        let actor = try req.requireActor()
        guard let id = id.flatMap(UUID.init(uuidString:)), let a = try await store.find(id) else { throw ActivityStore.notFound }
        let path = try await req.caseReference().areas[a.areaID]?.path ?? [a.areaID]
        guard ActivityAccess.maySee(actor, a, villagePath: path) else { throw ActivityStore.notFound }
        return (a, path)
    }

    /// The console's list over the caller's scope, by start.
    func list(village: String?, kind: String?, from: Date?, to: Date?) async throws -> [Activity] {
        let actor = try req.requireActor()
        let k = try Self.kind(kind)
        let reference = try await req.caseReference()
        var villageID: UUID?
        if let village, !village.isEmpty {
            guard let area = reference.areasByCode[village], area.kind == .village else {
                throw DomainError.notFound(zh: "没有这个城中村", en: "there is no such village")
            }
            villageID = area.id
        }
        switch ActivityAccess.readScope(for: actor) {
        case .nothing: throw DomainError.forbidden(LocalizedText(zh: "无权查看活动", en: "not allowed to see activities"))
        case .everywhere: return try await store.list(under: nil, org: nil, village: villageID, kind: k, from: from, to: to)
        case .areas(let roots):
            let prefixes = roots.compactMap { reference.areas[$0].map { Area.encodePath($0.path) } }
            return try await store.list(under: prefixes, org: actor.org?.id, village: villageID, kind: k, from: from, to: to)
        }
    }

    private func managed(_ id: String?) async throws -> (Actor, Activity) {
        let actor = try req.requireActor()
        let (a, path) = try await find(id)
        guard ActivityAccess.mayManage(actor, a, villagePath: path) else {
            throw DomainError.forbidden(LocalizedText(zh: "只能管理本单位组织的活动", en: "you manage your own organisation's activities"))
        }
        return (actor, a)
    }

    func cancel(_ id: String?, reason: String?) async throws -> Activity {
        let (actor, a) = try await managed(id)
        let why = (reason ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        if let p = ActivityRules.validateCancellation(reason: why) { throw FieldProblems([p]) }
        let now = req.now
        let done = try await store.cancel(a.id, by: actor.user.id, at: now, reason: why) { db in
            try await AuditStore(db: db).append(action: AuditAction.activityCancelled.rawValue, subject: Self.subject(a.id), detail: why,
                                                actorID: actor.user.id, actorName: actor.user.displayName, at: now)
        }
        guard done else {
            throw DomainError.conflict(LocalizedText(zh: a.reportedAt != nil ? "活动已总结，不能取消" : "活动已取消",
                                                     en: a.reportedAt != nil ? "the activity is reported and cannot be cancelled" : "the activity is already cancelled"))
        }
        return try await store.find(a.id) ?? a
    }

    /// The report afterwards: what came of it and its pictures (public copies, checked whole before anything is written).
    func report(_ id: String?, outcome: String?, photos: [(data: Data, role: PhotoRole)]) async throws -> Activity {
        let (actor, a) = try await managed(id)
        let text: String
        switch ActivityRules.validateReport(a, outcome: outcome ?? "", now: req.now) {
        case .failure(let p): throw p
        case .success(let t): text = t
        }
        if a.reportedAt != nil { throw DomainError.conflict(LocalizedText(zh: "活动已总结", en: "the activity is already reported")) }
        let prepared = try PreparedPhoto.prepare(photos, policy: .standard)
        let created = prepared.isEmpty ? [] : try await req.application.photoStorage.write(prepared)
        let stored = prepared.map { NoticeStore.Photo(publicHash: $0.publicHash, format: $0.format.rawValue) }
        let now = req.now
        let done: Bool
        do {
            done = try await store.report(a.id, outcome: text, photos: stored, by: actor.user.id, at: now) { db in
                try await AuditStore(db: db).append(action: AuditAction.activityReported.rawValue, subject: Self.subject(a.id),
                                                    detail: "checked in \(a.checkedIn) of \(a.signedUp) signed up; \(stored.count) photos",
                                                    actorID: actor.user.id, actorName: actor.user.displayName, at: now)
            }
        } catch {
            await req.application.photoStorage.remove(created)
            throw error
        }
        guard done else {
            await req.application.photoStorage.remove(created)
            throw DomainError.conflict(LocalizedText(zh: "活动已总结或已取消", en: "the activity is already reported or cancelled"))
        }
        return try await store.find(a.id) ?? a
    }

    // MARK: Themes

    func setTheme(area: String?, year: Int?, name: String?, summary: String?) async throws -> VillageTheme {
        let actor = try req.requireActor()
        guard ActivityAccess.organiseScope(for: actor) != .nothing else { throw Self.forbidden }
        let reference = try await req.caseReference()
        let chosen = village(area, actor: actor, reference: reference)
        let thisYear = LocalDate.beijing(req.now).year
        let valid: (name: String, summary: String, year: Int, village: UUID)
        switch VillageTheme.validate(name: name ?? "", summary: summary ?? "", year: year ?? thisYear, village: chosen?.id, thisYear: thisYear) {
        case .failure(let p): throw p
        case .success(let v): valid = v
        }
        let theme = VillageTheme(areaID: valid.village, year: valid.year, name: valid.name, summary: valid.summary, setBy: actor.user.id, setAt: req.now)
        let code = chosen?.code ?? ""
        try await store.setTheme(theme) { db in
            try await AuditStore(db: db).append(action: AuditAction.villageThemeSet.rawValue, subject: "village:\(code)", detail: "\(theme.year): \(theme.name)",
                                                actorID: actor.user.id, actorName: actor.user.displayName, at: theme.setAt)
        }
        return theme
    }

    /// The themes of the villages the caller sees, for a year.
    func themes(year: Int) async throws -> [VillageTheme] {
        let actor = try req.requireActor()
        let scope = ActivityAccess.readScope(for: actor)
        guard scope != .nothing else { throw DomainError.forbidden(LocalizedText(zh: "无权查看活动", en: "not allowed to see activities")) }
        let reference = try await req.caseReference()
        return try await store.themes(year: year).filter { NoticeAccess.covers(scope, path: reference.areas[$0.areaID]?.path ?? []) }
    }

    // MARK: Residents (no login)

    /// A sign-up's receipt link carries a random token; only its hash is kept.
    static func receiptHash(_ token: String) -> String { SHA256.hash(data: Data(token.utf8)).hexString }

    static func newToken() -> String {
        var bytes = [UInt8](repeating: 0, count: 18)
        var generator = SystemRandomNumberGenerator()
        for i in bytes.indices { bytes[i] = generator.next() }
        return Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
    }

    /// A public activity: any not cancelled long ago; nil for none.
    static func publicActivity(_ req: Request, _ id: String?) async throws -> Activity {
        guard let id = id.flatMap(UUID.init(uuidString:)), let a = try await ActivityStore(db: req.db).find(id) else { throw ActivityStore.notFound }
        return a
    }

    /// The community writes anyone may make (sign-ups, check-ins) are limited per client.
    func limit() throws {
        let decision = req.application.communityLimiter.take(PublicRateLimiter.client(req), now: req.now)
        guard decision.allowed else {
            throw DomainError.rateLimited(retryAfterSeconds: decision.retryAfter, LocalizedText(
                zh: "提交过于频繁，请 \(decision.retryAfter) 秒后再试", en: "too many submissions; try again in \(decision.retryAfter) s"))
        }
    }

    struct SignedUp {
        var activity: Activity
        var signup: ActivitySignupRow
        /// The receipt link's token (nil when the number had signed up before: its link stays the one it was given).
        var token: String?
    }

    func signUp(_ id: String?, name: String?, phone: String?) async throws -> SignedUp {
        let a = try await Self.publicActivity(req, id)
        let (who, number): (String, PhoneNumber)
        switch ActivityRules.validateSignup(name: name ?? "", phone: phone ?? "") {
        case .failure(let p): throw p
        case .success(let v): (who, number) = v
        }
        try limit()
        let cipher = req.application.fieldCipher
        let existing = try await store.signup(of: a.id, phoneIndexes: [cipher.blindIndex(number.e164)])
        switch ActivityRules.decideSignup(a, alreadySignedUp: existing?.isActive == true, now: req.now) {
        case .refused(let why): throw FieldProblems([FieldProblem(field: "phone", reason: why)])
        case .already: return SignedUp(activity: a, signup: existing!, token: nil)
        case .signUp: break
        }
        let token = Self.newToken()
        let row = ActivitySignupRow(id: UUID(), activityId: a.id, nameSealed: try cipher.seal(who), nameMasked: Masking.name(who),
                                    phoneSealed: try cipher.seal(number.sealedForm), phoneMasked: number.masked, phoneIndex: cipher.blindIndex(number.e164),
                                    receiptHash: Self.receiptHash(token), walkIn: false, signedUpAt: req.now)
        switch try await store.signUp(row, replacing: existing?.id, now: req.now) {
        case .signedUp(let made): return SignedUp(activity: try await store.find(a.id) ?? a, signup: made, token: token)
        case .full: throw FieldProblems([FieldProblem(field: "phone", reason: LocalizedText(zh: "名额已满", en: "all places are taken"))])
        case .closed: throw FieldProblems([FieldProblem(field: "phone", reason: LocalizedText(zh: "报名已截止", en: "sign-up is closed"))])
        }
    }

    /// The sign-up a receipt link names.
    static func receipt(_ req: Request, token: String?) async throws -> (activity: Activity, signup: ActivitySignupRow) {
        let notFound = DomainError.notFound(zh: "没有这条报名记录", en: "no such sign-up")
        guard let token, (16...64).contains(token.count), let row = try await ActivityStore(db: req.db).signup(receiptHash: receiptHash(token)),
              let a = try await ActivityStore(db: req.db).find(row.activityId) else { throw notFound }
        return (a, row)
    }

    func cancelSignup(token: String?) async throws -> Activity {
        let (a, row) = try await Self.receipt(req, token: token)
        guard row.isActive, row.checkedInAt == nil else {
            throw DomainError.conflict(LocalizedText(zh: row.checkedInAt != nil ? "已签到，无法取消" : "报名已取消",
                                                     en: row.checkedInAt != nil ? "you have checked in; it cannot be cancelled" : "the sign-up is already cancelled"))
        }
        guard req.now < a.startsAt else { throw DomainError.conflict(LocalizedText(zh: "活动已开始，无法取消报名", en: "the activity has started; the sign-up cannot be cancelled")) }
        _ = try await store.cancelSignup(row.id, activity: a.id, at: req.now)
        return try await store.find(a.id) ?? a
    }

    struct CheckedIn {
        var activity: Activity
        var signup: ActivitySignupRow
        var flags: [CheckinFlag]
        /// Checked in before this scan.
        var already: Bool
    }

    /// A scan at the place: by the phone signed up with (or, not signed up, a walk-in with a name).
    func checkIn(code: String, name: String?, phone: String?, report: CheckinReport) async throws -> CheckedIn {
        guard let a = try await store.find(checkinCode: code.uppercased()) else { throw ActivityStore.notFound }
        guard let number = PhoneNumber.parse(phone ?? "") else {
            throw FieldProblems([FieldProblem(field: "phone", reason: (phone ?? "").trimmingCharacters(in: .whitespaces).isEmpty
                ? LocalizedText(zh: "请填写报名时的手机号", en: "give the phone number you signed up with") : PhoneNumber.problem)])
        }
        try limit()
        let cipher = req.application.fieldCipher
        let existing = try await store.signup(of: a.id, phoneIndexes: [cipher.blindIndex(number.e164)])
        switch ActivityRules.decideCheckin(a, report: report, signedUp: existing?.isActive == true, checkedIn: existing?.checkedInAt != nil, now: req.now) {
        case .refused(let why): throw FieldProblems([FieldProblem(field: "phone", reason: why)])
        case .already: return CheckedIn(activity: a, signup: existing!, flags: existing!.flags, already: true)
        case .checkIn(let flags, let walkIn):
            var row: ActivitySignupRow
            if let existing {
                row = existing
                row.walkIn = walkIn
            } else {
                let who = (name ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
                guard !who.isEmpty, who.count <= 20 else {
                    throw FieldProblems([FieldProblem(field: "name", reason: LocalizedText(zh: "这个号码没有报名：请填写称呼，以现场参加登记", en: "this number has not signed up: give your name to join on the spot"))])
                }
                row = ActivitySignupRow(id: UUID(), activityId: a.id, nameSealed: try cipher.seal(who), nameMasked: Masking.name(who),
                                        phoneSealed: try cipher.seal(number.sealedForm), phoneMasked: number.masked, phoneIndex: cipher.blindIndex(number.e164),
                                        receiptHash: Self.receiptHash(Self.newToken()), walkIn: true, signedUpAt: req.now)
            }
            let done = try await store.checkIn(signup: row, isNew: existing == nil, evidence: .init(report: report, flags: flags), at: req.now)
            let now = try await store.signup(of: a.id, phoneIndexes: [row.phoneIndex]) ?? row
            return CheckedIn(activity: try await store.find(a.id) ?? a, signup: now, flags: now.flags, already: !done)
        }
    }
}

extension Application {
    private struct CommunityLimiterKey: StorageKey { typealias Value = PublicRateLimiter }

    /// Sign-ups and check-ins from the portal: a few at once (a family), then a few a minute per client.
    var communityLimiter: PublicRateLimiter {
        get { storage[CommunityLimiterKey.self]! }
        set { storage[CommunityLimiterKey.self] = newValue }
    }
}
