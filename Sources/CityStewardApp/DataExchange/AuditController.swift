import CityStewardCore
import CityStewardStore
import Foundation
import Vapor

extension Request {
    /// Appends an audit row for what the caller just did.
    func audit(_ action: AuditAction, subject: String, detail: String = "") async throws {
        try await AuditStore(db: db).append(action: action.rawValue, subject: subject, detail: detail, actorID: actor?.user.id,
                                            actorName: actor?.user.displayName ?? "—", at: now)
    }
}

/// The audit log for auditors (`audit:read`): `/audit` lists and filters it and says whether the chain is whole;
/// `GET /api/v1/audit` gives the same rows as JSON; `/audit/export.csv` every filtered row with its full hash (the
/// export itself is a row of the log).
struct AuditController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        routes.get("audit", use: page)
        routes.get("audit", "export.csv", use: export)
        routes.grouped("api", "v1").get("audit", use: api)
        routes.grouped("api", "v1").get("audit", "export.csv", use: export)
    }

    struct Query: Content {
        var action: String?
        var actor: String?
        var subject: String?
        var from: String?
        var to: String?
        var page: Int?
        /// The `next` of the page before (the same as its page number).
        var after: String?
    }

    static let pageSize = 100
    /// The deepest page a list answers (the document says the same).
    static let maxPage = 100_000

    func filter(_ req: Request) async throws -> (AuditStore.Filter, Query) {
        let q = try req.query.decode(Query.self)
        var f = AuditStore.Filter()
        if let a = q.action, !a.isEmpty {
            guard AuditAction(rawValue: a) != nil else {
                throw DomainError.invalid("action", zh: "没有这种审计类型：\(a)", en: "unknown audit action \(a)")
            }
            f.action = a
        }
        if let name = q.actor, !name.isEmpty {
            guard let user = try await req.directory.user(username: name.lowercased()) else {
                throw DomainError.refused("actor", zh: "没有用户 \(name)", en: "no user \(name)")
            }
            f.actorID = user.id
        }
        if let s = q.subject, !s.isEmpty { f.subject = s }
        func day(_ text: String?, _ field: String) throws -> Date? {
            guard let text, !text.isEmpty else { return nil }
            guard let d = LocalDate(text) else { throw DomainError.invalid(field, zh: "\(field) 应为日期 YYYY-MM-DD", en: "\(field) must be a date YYYY-MM-DD") }
            return d.beijingMidnight
        }
        f.from = try day(q.from, "from")
        f.to = try day(q.to, "to").map { $0.addingTimeInterval(86_400) }
        _ = try PageToken.page(page: q.page, after: q.after, max: Self.maxPage)
        return (f, q)
    }

    struct EntryView: Content {
        var seq: Int
        var at: String
        var actorId: UUID?
        var actor: String
        var action: String
        var actionLabel: String
        var subject: String
        var detail: String
        var hash: String
    }

    static func view(_ e: AuditEntry, _ language: Language) -> EntryView {
        EntryView(seq: e.seq, at: Timestamp.beijing(e.at), actorId: e.actorID, actor: e.actorName, action: e.action,
                  actionLabel: AuditAction(rawValue: e.action)?.label.text(language) ?? e.action, subject: e.subject,
                  detail: e.detail, hash: String(e.hash.prefix(12)))
    }

    struct APIPage: Content {
        var items: [EntryView]
        var total: Int
        var page: Int
        /// Pass as `after` for the page after this one; absent on the last.
        var next: String?
    }

    @Sendable func api(req: Request) async throws -> APIPage {
        _ = try req.require(.auditRead)
        let (f, q) = try await filter(req)
        let page = try PageToken.page(page: q.page, after: q.after, max: Self.maxPage)
        let (rows, total) = try await AuditStore(db: req.db).list(f, limit: Self.pageSize, offset: (page - 1) * Self.pageSize)
        return APIPage(items: rows.map { Self.view($0, req.language) }, total: total, page: page,
                       next: PageToken.next(after: page, total: total, size: Self.pageSize))
    }

    struct Page: Encodable {
        var page: PageChrome
        var rows: [EntryView]
        var total: Int
        var actions: [Choice]
        var actor: String
        var subject: String
        var from: String
        var to: String
        var chainRows: Int
        var chainOK: Bool
        var brokenAt: Int?
        var brokenReason: String?
        var nextPage: String?
        var previousPage: String?
        var exportLink: String
    }

    static func filters(_ q: Query) -> [(String, String?)] {
        [("action", q.action), ("actor", q.actor), ("subject", q.subject), ("from", q.from), ("to", q.to)]
    }

    @Sendable func page(req: Request) async throws -> Response {
        let actor = try req.consoleActor()
        try AccessPolicy.require(.auditRead, actor)
        let language = req.language
        let (f, q) = try await filter(req)
        let pageNumber = q.page ?? 1
        let store = AuditStore(db: req.db)
        let (rows, total) = try await store.list(f, limit: Self.pageSize, offset: (pageNumber - 1) * Self.pageSize)
        let check = try await store.verify()
        let pager = Pager.links(path: "/audit", filters: Self.filters(q), page: pageNumber, pageSize: Self.pageSize, total: total)
        let page = Page(
            page: PageChrome(request: req, title: language == .en ? "Audit log" : "审计日志"), rows: rows.map { Self.view($0, language) }, total: total,
            actions: AuditAction.allCases.map { Choice(value: $0.rawValue, label: $0.label.text(language), selected: $0.rawValue == q.action) },
            actor: q.actor ?? "", subject: q.subject ?? "", from: q.from ?? "", to: q.to ?? "",
            chainRows: check.rows, chainOK: check.firstBroken == nil, brokenAt: check.firstBroken?.seq,
            brokenReason: check.firstBroken?.reason.text(language),
            nextPage: pager.next, previousPage: pager.previous, exportLink: Pager.link(path: "/audit/export.csv", filters: Self.filters(q)))
        return try await req.page("audit", page)
    }

    @Sendable func export(req: Request) async throws -> Response {
        _ = try req.require(.auditRead)
        let (f, q) = try await filter(req)
        let store = AuditStore(db: req.db)
        var entries: [AuditEntry] = []
        while true {
            let (rows, _) = try await store.list(f, limit: 1000, offset: entries.count)
            entries += rows
            if rows.count < 1000 { break }
        }
        let language = req.language
        let header = language == .en ? ["seq", "time", "actor", "action", "action_label", "subject", "detail", "previous_hash", "hash"]
            : ["序号", "时间", "操作人", "类型代码", "类型", "对象", "详情", "上一行哈希", "哈希"]
        let csv = CSV.document(header: header, rows: entries.map {
            [String($0.seq), Timestamp.beijing($0.at), $0.actorName, $0.action, AuditAction(rawValue: $0.action)?.label.text(language) ?? $0.action,
             $0.subject, $0.detail, $0.previousHash, $0.hash]
        })
        let filterText = Self.filters(q).compactMap { k, v in v.flatMap { $0.isEmpty ? nil : "\(k)=\($0)" } }.joined(separator: "; ")
        try await req.audit(.export, subject: "audit_log", detail: "rows=\(entries.count)" + (filterText.isEmpty ? "" : "; " + filterText))
        return CSVResponse.make(csv, filename: "audit-log.csv")
    }
}
