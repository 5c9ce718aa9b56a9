import CityStewardCore
import Foundation
import Vapor

/// What every console page needs besides its own content: language, the signed-in user, the CSRF token for
/// forms, and the link to the other language.
struct PageChrome: Encodable {
    var lang: String
    var title: String
    var user: String?
    var role: String?
    var org: String?
    var csrf: String?
    /// Whether the navigation shows the audit log.
    var canAudit = false
    /// Whether the navigation shows the population register.
    var canSeeResidents = false
    /// Whether the navigation shows devices and data sharing.
    var canSeeDevices = false
    /// Whether the navigation shows contracts and money.
    var canSeeContracts = false
    /// Whether the navigation shows organisations and accounts (the district office).
    var canManageDirectory = false
    /// Whether the navigation shows the case pages (queue, tasks, map, categories) and the patrol form.
    var canSeeCases = false
    var canPatrol = false
    /// Whether the navigation shows operations (work plans, teams).
    var canSeeOperations = false
    var canSeeAssessment = false
    var canSeeDashboard = false
    var canSeeAssets = false
    /// Whether the navigation shows the notices to residents.
    var canSeeNotices = false
    /// Whether the header links to one's own API keys (signed in, not with a key).
    var canOwnKeys = false
    var otherLanguageURL: String
    var otherLanguageLabel: String

    init(request: Request, title: String) {
        let language = request.language
        lang = language.rawValue
        self.title = title
        if let actor = request.actor {
            user = actor.user.displayName
            role = actor.role.label.text(language)
            org = actor.org?.displayName(language)
            csrf = CSRFMiddleware.token(for: request)
            canAudit = actor.can(.auditRead)
            canSeeResidents = actor.can(.residentsRead)
            canSeeDevices = ExchangeAccess.mayViewDevices(actor) || actor.can(.feedsRead)
            canSeeContracts = actor.can(.contractsRead)
            canManageDirectory = DirectoryAccess.may(actor, .manageDirectory)
            canSeeCases = actor.can(.casesRead)
            canPatrol = CaseAccess.mayPatrol(actor)
            canSeeOperations = OperationsAccess.scope(for: actor) != .nothing
            canSeeAssessment = AssessmentAccess.scope(for: actor) != .nothing
            canSeeDashboard = DashboardAccess.mayView(actor)
            canSeeAssets = AssetAccess.scope(for: actor) != .nothing
            canSeeNotices = NoticeAccess.readScope(for: actor) != .nothing
            canOwnKeys = DirectoryAccess.may(actor, .manageOwnKeys)
        }
        let other: Language = language == .en ? .zhHans : .en
        var components = URLComponents()
        components.path = request.url.path
        var items = (URLComponents(string: request.url.string)?.queryItems ?? []).filter { $0.name != "lang" }
        items.append(URLQueryItem(name: "lang", value: other.rawValue))
        components.queryItems = items
        otherLanguageURL = components.string ?? "/?lang=\(other.rawValue)"
        otherLanguageLabel = other == .en ? "English" : "中文"
    }
}

/// Links to the previous and next page of a filtered list, keeping the filters that were given.
struct Pager {
    /// `path` with the filters that were given as its query.
    static func link(path: String, filters: [(String, String?)], page: Int? = nil) -> String {
        var c = URLComponents()
        c.path = path
        let items = filters.compactMap { k, v in v.flatMap { $0.isEmpty ? nil : URLQueryItem(name: k, value: $0) } }
            + (page.map { [URLQueryItem(name: "page", value: String($0))] } ?? [])
        c.queryItems = items.isEmpty ? nil : items
        return c.string ?? path
    }

    static func links(path: String, filters: [(String, String?)], page: Int, pageSize: Int, total: Int) -> (previous: String?, next: String?) {
        (page > 1 ? link(path: path, filters: filters, page: page - 1) : nil,
         page * pageSize < total ? link(path: path, filters: filters, page: page + 1) : nil)
    }
}
