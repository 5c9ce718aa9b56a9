import Foundation
import Vapor

/// An operation of `/api/v1` that is going away: every answer it gives carries `Deprecation` (RFC 9745: since when),
/// `Sunset` (RFC 8594: from when it may answer 410) and a `Link` to what replaces it, so a client's logs show it long
/// before it stops (docs/api.md, "Compatibility").
struct Deprecation: Middleware {
    /// When it was deprecated and when it may go; what to use instead.
    var since: Date
    var sunset: Date
    var successor: String
    /// The header values, written once rather than per answer.
    private let deprecationValue: String
    private let sunsetValue: String

    init(since: Date, sunset: Date, successor: String) {
        self.since = since
        self.sunset = sunset
        self.successor = successor
        deprecationValue = "@\(Int(since.timeIntervalSince1970))"
        sunsetValue = Self.httpDate(sunset)
    }

    static let catalogPrices = Deprecation(since: Date(timeIntervalSince1970: 1_796_515_200),    // 2026-12-06
                                           sunset: Date(timeIntervalSince1970: 1_814_313_600),   // 2027-06-30
                                           successor: "/api/v1/catalog/matters")

    func respond(to request: Request, chainingTo next: any Responder) -> EventLoopFuture<Response> {
        next.respond(to: request).flatMapError { error in
            // Refusals carry the notice too: the client that is refused is the one still calling.
            request.eventLoop.makeFutureWithTask { await ErrorRenderer().render(error, for: request) }
        }.map { response in
            response.headers.replaceOrAdd(name: "Deprecation", value: deprecationValue)
            response.headers.replaceOrAdd(name: "Sunset", value: sunsetValue)
            response.headers.add(name: .link, value: "<\(successor)>; rel=\"successor-version\"")
            return response
        }
    }

    static func httpDate(_ date: Date) -> String {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "GMT")
        f.dateFormat = "EEE, dd MMM yyyy HH:mm:ss 'GMT'"
        return f.string(from: date)
    }
}
