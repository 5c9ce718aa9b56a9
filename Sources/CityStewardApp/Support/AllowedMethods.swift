import Vapor

/// Which methods a path answers, from the routes as registered: a request with another method on a path that exists
/// gets 405 with `Allow` (RFC 9110 §15.5.6), not 404 as if the path were not there.
struct AllowedMethods: Sendable {
    private let routes: [(method: String, path: [PathComponent])]

    init(_ routes: [Route]) {
        self.routes = routes.map { ($0.method.rawValue, $0.path) }
    }

    /// The methods of the routes that name this path most exactly (HEAD wherever GET is), sorted; empty when no
    /// route has the path. `/cases/dispatch` is the dispatch route's, not `/cases/{id}` read with "dispatch" as an id.
    func methods(for path: String) -> [String] {
        let segments = path.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
        var best: [Int] = []
        var found = Set<String>()
        for route in routes {
            guard let exactness = Self.match(route.path, segments) else { continue }
            if exactness.lexicographicallyPrecedes(best) { continue }
            if exactness != best { best = exactness; found = [] }
            found.insert(route.method)
            if route.method == "GET" { found.insert("HEAD") }
        }
        return found.sorted()
    }

    /// The methods that would reach a parameter route on a path whose constant route does not take them:
    /// `PATCH /api/v1/areas/locate` would be `PATCH /api/v1/areas/{id}` with "locate" as an id. The router matches per
    /// method, so these get a route of their own that answers as unrouted (405 with the constant route's `Allow`).
    func shadowed() -> [(method: String, path: [PathComponent])] {
        let methods = Set(routes.map(\.method))
        var out: [(method: String, path: [PathComponent])] = []
        var seen = Set<String>()
        for route in routes where route.path.allSatisfy({ if case .constant = $0 { true } else { false } }) {
            let segments = route.path.map(\.description)
            let key = segments.joined(separator: "/")
            guard seen.insert(key).inserted else { continue }
            let answered = Set(self.methods(for: key))
            for method in methods.subtracting(answered).sorted()
            where routes.contains(where: { $0.method == method && Self.match($0.path, segments) != nil }) {
                out.append((method, route.path))
            }
        }
        return out
    }

    /// How exactly each segment matched (2 a constant, 1 a parameter, 0 a catch-all), or nil for no match.
    private static func match(_ pattern: [PathComponent], _ segments: [String]) -> [Int]? {
        var exactness: [Int] = []
        for component in pattern {
            let i = exactness.count
            switch component {
            case .catchall: return i < segments.count ? exactness + [0] : nil
            case .constant(let text):
                guard i < segments.count, segments[i] == text else { return nil }
                exactness.append(2)
            case .parameter, .anything:
                guard i < segments.count else { return nil }
                exactness.append(1)
            }
        }
        return exactness.count == segments.count ? exactness : nil
    }
}

/// A method that reached a parameter route on a constant route's path (`AllowedMethods.shadowed`): answered as unrouted.
struct ShadowedRoute: Error {}

extension Application {
    private struct AllowedMethodsKey: StorageKey { typealias Value = AllowedMethods }
    /// Set once every route is registered (`configure`).
    var allowedMethods: AllowedMethods {
        get { storage[AllowedMethodsKey.self] ?? AllowedMethods([]) }
        set { storage[AllowedMethodsKey.self] = newValue }
    }
}
