import CityStewardCore
import CityStewardStore
import Fluent
import Foundation
import Vapor

/// Notices to residents (公告, issue 20 §1): publishing, withdrawing and listing them for the console and the API (one
/// use case per verb, both call these), what a place shows on the portal, and the contract's residents' notice
/// published with the contract (§7(2)4).
struct NoticesService {
    let req: Request

    struct Input: Content {
        var title: String?
        var body: String?
        var kind: String?
        var audience: String?
        /// Codes or ids of the district, streets or villages it is shown in.
        var areas: [String]?
        var shownFrom: String?
        var shownUntil: String?
        /// Pictures (JPEG, PNG or WebP, base64; at most 6 of 8 MB): residents see their public copies, without location.
        var photos: [PhotoUpload]?
    }

    var store: NoticeStore { NoticeStore(db: req.db) }

    static func today(_ req: Request) -> LocalDate { LocalDate.beijing(req.now) }

    func publish(_ input: Input) async throws -> Notice {
        let actor = try req.requireActor()
        let scope = NoticeAccess.publishScope(for: actor)
        guard scope != .nothing else {
            throw DomainError.forbidden(LocalizedText(zh: "无权发布公告", en: "not allowed to publish notices"))
        }
        let reference = try await req.caseReference()
        var problems: [FieldProblem] = []
        // A value outside the document's list is a request that cannot be read (400), as elsewhere in the API.
        func parse<T: RawRepresentable & CaseIterable>(_ text: String?, _ field: String, default value: T) throws -> T where T.RawValue == String {
            guard let text, !text.isEmpty else { return value }
            guard let v = T(rawValue: text) else {
                let values = T.allCases.map(\.rawValue).joined(separator: ", ")
                throw DomainError.invalid(field, zh: "\(field) 应为 \(values) 之一", en: "\(field) is one of \(values)")
            }
            return v
        }
        let kind: NoticeKind = try parse(input.kind, "kind", default: .general)
        let audience: NoticeAudience = try parse(input.audience, "audience", default: .everyone)
        func day(_ text: String?, _ field: String) -> LocalDate? {
            guard let text, !text.isEmpty else { return nil }
            guard let d = LocalDate(text) else {
                problems.append(FieldProblem(field: field, reason: LocalizedText(zh: "日期应为 YYYY-MM-DD", en: "a date is YYYY-MM-DD")))
                return nil
            }
            return d
        }
        let today = Self.today(req)
        let from = day(input.shownFrom, "shownFrom") ?? today
        let until = day(input.shownUntil, "shownUntil")
        // Areas by code or id; one not found (or outside where the caller publishes) is named as not existing.
        var areas: [UUID] = [], kinds: [UUID: AreaKind] = [:], paths: [UUID: [UUID]] = [:]
        for text in input.areas ?? [] where !text.isEmpty {
            let area = reference.areasByCode[text] ?? UUID(uuidString: text).flatMap { reference.areas[$0] }
            guard let area else { areas.append(UUID()); continue }
            areas.append(area.id)
            kinds[area.id] = area.kind
            paths[area.id] = area.path
        }
        let draft = NoticeDraft(title: input.title ?? "", body: input.body ?? "", kind: kind, audience: audience, areas: areas,
                                shownFrom: from, shownUntil: until)
        var valid: NoticeDraft?
        switch NoticeRules.validate(draft, areaKinds: kinds, today: today) {
        case .success(let d): valid = d
        case .failure(let p): problems += p.problems
        }
        if let valid, !NoticeAccess.mayPublish(actor, over: valid.areas.map { paths[$0] ?? [$0] }) {
            problems.append(FieldProblem(field: "areas", reason: LocalizedText(zh: "只能在本单位负责的区域发布", en: "you publish only where your organisation serves")))
        }
        guard problems.isEmpty, let valid else { throw FieldProblems(problems) }
        // The pictures checked whole before anything is written (size 413, type 415, count 400), then their files.
        let prepared = try PreparedPhoto.prepare(try PhotoUpload.decode(input.photos, defaultRole: .report), policy: .standard)
        let created = prepared.isEmpty ? [] : try await req.application.photoStorage.write(prepared)
        let photos = prepared.map { NoticeStore.Photo(publicHash: $0.publicHash, format: $0.format.rawValue) }
        let notice = Notice(id: UUID(), title: valid.title, body: valid.body, kind: valid.kind, audience: valid.audience, areas: valid.areas,
                            shownFrom: valid.shownFrom, shownUntil: valid.shownUntil, orgID: actor.org?.id, createdBy: actor.user.id, createdAt: req.now)
        let (now, who) = (req.now, actor)
        do {
            try await store.create(notice, paths: paths, photos: photos) { db in
                try await AuditStore(db: db).append(action: AuditAction.noticePublished.rawValue, subject: "notice:\(notice.id.uuidString.lowercased())",
                                                    detail: notice.title, actorID: who.user.id, actorName: who.user.displayName, at: now)
            }
        } catch {
            // Nothing half written: the rows rolled back; the files this request created go too.
            await req.application.photoStorage.remove(created)
            throw error
        }
        return notice
    }

    /// A notice the caller may see in the console (else 404, like a missing one) with its areas' paths.
    func find(_ id: String?) async throws -> (notice: Notice, paths: [[UUID]]) {
        let actor = try req.requireActor()
        guard let id = id.flatMap(UUID.init(uuidString:)), let notice = try await store.find(id) else { throw NoticeStore.notFound }
        let reference = try await req.caseReference()
        let paths = notice.areas.map { reference.areas[$0]?.path ?? [$0] }
        guard NoticeAccess.maySee(actor, notice, paths: paths) else { throw NoticeStore.notFound }
        return (notice, paths)
    }

    func withdraw(_ id: String?, reason: String?) async throws -> Notice {
        let actor = try req.requireActor()
        let (notice, paths) = try await find(id)
        guard NoticeAccess.mayWithdraw(actor, notice, paths: paths) else {
            throw DomainError.forbidden(LocalizedText(zh: notice.kind == .contract ? "服务告知随合同终止自动撤回" : "只能撤回本单位发布的公告",
                                                      en: notice.kind == .contract ? "a contract's notice is withdrawn when the contract ends" : "you withdraw your own organisation's notices"))
        }
        let reason = (reason ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        if let problem = NoticeRules.validateWithdrawal(reason: reason) { throw FieldProblems([problem]) }
        let now = req.now
        let done = try await store.withdraw(notice.id, by: actor.user.id, at: now, reason: reason) { db in
            try await AuditStore(db: db).append(action: AuditAction.noticeWithdrawn.rawValue, subject: "notice:\(notice.id.uuidString.lowercased())",
                                                detail: reason, actorID: actor.user.id, actorName: actor.user.displayName, at: now)
        }
        guard done else { throw DomainError.conflict(LocalizedText(zh: "该公告已撤回", en: "the notice is already withdrawn")) }
        return try await store.find(notice.id) ?? notice
    }

    /// The console's list over the caller's scope, newest first.
    func list(kind: String?) async throws -> [Notice] {
        let actor = try req.requireActor()
        var k: NoticeKind?
        if let kind, !kind.isEmpty {
            guard let v = NoticeKind(rawValue: kind) else { throw DomainError.invalid("kind", zh: "没有这种公告类型", en: "no such kind of notice") }
            k = v
        }
        switch NoticeAccess.readScope(for: actor) {
        case .nothing: throw DomainError.forbidden(LocalizedText(zh: "无权查看公告管理", en: "not allowed to manage notices"))
        case .everywhere: return try await store.list(under: nil, org: nil, kind: k)
        case .areas(let roots):
            let reference = try await req.caseReference()
            let prefixes = roots.compactMap { reference.areas[$0].map { Area.encodePath($0.path) } }
            return try await store.list(under: prefixes, org: actor.org?.id, kind: k)
        }
    }

    /// What a place (a village, or any area under one) shows residents today.
    static func shown(_ req: Request, along path: [UUID], limit: Int = 50) async throws -> [Notice] {
        try await NoticeStore(db: req.db).shown(along: path, on: today(req), limit: limit)
    }
}

/// The residents' notice of a contract (§7(2)4): published when the contract is activated (over its villages, from that
/// day to the contract's last), ended with a termination on its last day, withdrawn when an amendment replaces it.
enum ContractNotices {
    static func activated(_ r: ContractRecord, reference: CaseReference, db: any Database, by user: UUID?, at now: Date) async throws {
        let store = NoticeStore(db: db)
        try await store.withdrawContractNotices(number: r.number, except: r.id, at: now, reason: "合同已变更，以新版本为准")
        guard try await store.notice(ofContract: r.id) == nil else { return }
        let areas = r.terms.areas.compactMap { reference.areasByCode[$0] }
        guard !areas.isEmpty else { return }
        let steward = reference.orgs[r.stewardID]?.name ?? r.terms.steward
        let matters = r.terms.lines.map { reference.taxonomy.matter($0.matterCode)?.name ?? $0.matterCode }
        let text = NoticeRules.contractNotice(title: r.terms.title, steward: steward, matters: matters, start: r.terms.start, end: r.terms.end, told: r.terms.notice)
        let today = LocalDate.beijing(now)
        let notice = Notice(id: UUID(), title: text.title, body: text.body, kind: .contract, audience: .everyone, areas: areas.map(\.id),
                            shownFrom: today, shownUntil: max(today, r.terms.end), orgID: reference.streetOffices[r.streetID]?.id, createdBy: user,
                            createdAt: now, contractID: r.id)
        try await store.create(notice, paths: Dictionary(uniqueKeysWithValues: areas.map { ($0.id, $0.path) }))
    }

    /// Terminated: its notice stays up to the contract's last day, then ends.
    static func terminated(_ r: ContractRecord, db: any Database, at now: Date) async throws {
        try await NoticeStore(db: db).endContractNotices(number: r.number, on: r.terminatedOn ?? LocalDate.beijing(now))
    }
}
