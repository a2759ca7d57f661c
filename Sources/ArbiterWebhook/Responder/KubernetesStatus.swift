import ArbiterHTTP
import ArbiterReview

/// Kubernetes `Status` bodies (`kind: Status`, `apiVersion: v1`) for every non-decision answer,
/// so that client-go and kubectl print a clear message.
enum KubernetesStatus {
    /// The `reason` Kubernetes uses for an HTTP status.
    static func reason(for code: Int) -> String {
        switch code {
        case 400: return "BadRequest"
        case 401: return "Unauthorized"
        case 403: return "Forbidden"
        case 404: return "NotFound"
        case 405: return "MethodNotAllowed"
        case 406: return "NotAcceptable"
        case 408: return "Timeout"
        case 413: return "RequestEntityTooLarge"
        case 415: return "UnsupportedMediaType"
        case 422: return "Invalid"
        case 503: return "ServiceUnavailable"
        default: return code >= 500 ? "InternalError" : "BadRequest"
        }
    }

    static func response(_ code: Int, _ message: String, extraHeaders: [(name: String, value: String)] = []) -> HTTPResponse {
        let body =
            #"{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"#
            + JSONText.quoted(message) + #","reason":""# + reason(for: code) + #"","code":"# + String(code) + "}"
        return HTTPResponse(
            status: code, headers: [("content-type", "application/json")] + extraHeaders, body: Array(body.utf8))
    }
}
