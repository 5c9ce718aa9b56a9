import CityStewardCore
import CityStewardStore
import Foundation
import Vapor

/// The notifications inbox (escalations, dispatches, assignments to one's organisation or oneself): read and unread per
/// person. `GET /notifications` in the console, `POST /api/v1/notifications/read` and the page's forms mark them read;
/// opening one marks it read and goes to its case.
struct NotificationsController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        routes.grouped("api", "v1").post("notifications", "read", use: markReadAPI)
        routes.get("notifications", use: page)
        routes.post("notifications", "read", use: markReadForm)
        routes.get("notifications", ":id", use: open)
    }

    /// The caller's inbox, newest first, with what it has read.
    struct Inbox {
        var rows: [NotificationRow]
        var read: Set<UUID>

        var unread: Int { rows.filter { !read.contains($0.id) }.count }
    }

    static func inbox(_ req: Request, limit: Int = 50) async throws -> Inbox {
        let actor = try req.require(.casesRead)
        let rows = try await req.cases.notifications(orgID: actor.org?.id, userID: actor.user.id, limit: limit)
        return Inbox(rows: rows, read: try await req.cases.readNotifications(user: actor.user.id, among: rows.map(\.id)))
    }

    /// Marks read the notifications named that the caller can see (others are ignored, as if missing), or all of its
    /// latest 500 when `all`.
    static func markRead(_ req: Request, ids: [UUID], all: Bool) async throws {
        let actor = try req.require(.casesRead)
        let visible = try await req.cases.notifications(orgID: actor.org?.id, userID: actor.user.id, limit: 500).map(\.id)
        let chosen = all ? visible : visible.filter(Set(ids).contains)
        try await req.cases.markNotificationsRead(user: actor.user.id, ids: chosen, at: req.now)
    }

    struct ReadBody: Content {
        var ids: [UUID]?
        var all: Bool?
    }

    @Sendable func markReadAPI(req: Request) async throws -> HTTPStatus {
        let b = try req.content.decode(ReadBody.self)
        guard (b.ids?.count ?? 0) <= 500 else { throw DomainError.invalid("ids", zh: "一次最多 500 条", en: "at most 500 at once") }
        try await Self.markRead(req, ids: b.ids ?? [], all: b.all ?? false)
        return .noContent
    }

    struct Item: Encodable {
        var id: String
        var kind: String
        var text: String
        var at: String
        var read: Bool
        var hasCase: Bool
    }

    struct Page: Encodable {
        var page: PageChrome
        var items: [Item]
        var unread: Int
    }

    @Sendable func page(req: Request) async throws -> Response {
        _ = try req.consoleActor()
        let inbox = try await Self.inbox(req)
        let items = inbox.rows.map {
            Item(id: $0.id.uuidString.lowercased(), kind: $0.kind, text: req.language == .en ? $0.textEn : $0.textZh, at: BeijingTime.minute($0.createdAt),
                 read: inbox.read.contains($0.id), hasCase: $0.caseId != nil)
        }
        let response = try await req.page("notifications", Page(page: PageChrome(request: req, title: req.language == .en ? "Notifications" : "通知"),
                                                                items: items, unread: inbox.unread))
        response.headers.replaceOrAdd(name: .cacheControl, value: "no-store")
        return response
    }

    struct ReadForm: Content {
        var ids: [UUID]?
        var all: String?
    }

    @Sendable func markReadForm(req: Request) async throws -> Response {
        _ = try req.consoleActor()
        let f = try req.content.decode(ReadForm.self)
        try await Self.markRead(req, ids: f.ids ?? [], all: f.all == "1")
        return req.redirect(to: "/notifications")
    }

    /// Opening a notification reads it and goes to its case.
    @Sendable func open(req: Request) async throws -> Response {
        _ = try req.consoleActor()
        let inbox = try await Self.inbox(req, limit: 500)
        guard let id = req.parameters.get("id").flatMap(UUID.init(uuidString:)), let row = inbox.rows.first(where: { $0.id == id }) else {
            throw DomainError.notFound(zh: "没有这条通知", en: "no such notification")
        }
        try await Self.markRead(req, ids: [id], all: false)
        return req.redirect(to: row.caseId.map { "/cases/\($0.uuidString.lowercased())" } ?? "/notifications")
    }
}
