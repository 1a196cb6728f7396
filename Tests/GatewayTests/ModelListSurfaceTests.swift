import HTTPCore
import Testing
@testable import BytespikeMock

/// Which surface a `GET /v1/models` with a query string is for: a `key` parameter (Google's REST
/// samples) means Gemini, found by bytes in any position; a parameter that merely ends in `key` does not.
@Suite struct ModelListSurfaceTests {
    func surface(_ target: String) -> Surface {
        let r = RequestMake.post(target, body: "", headers: [])
        return Surface.detect(path: r.path, request: r)
    }

    @Test func keyParameter_anywhereInTheQuery_meansGemini_othersStayOpenAI() {
        #expect(surface("/v1/models?key=abc") == .gemini)
        #expect(surface("/v1/models?capability=vision&key=abc") == .gemini)
        #expect(surface("/v1/models?capability=vision&capability=tool_use&family=anthropic") == .openAI)
        #expect(surface("/v1/models?monkey=1&turkey=2") == .openAI)
        #expect(surface("/v1/models?key") == .openAI)
        #expect(surface("/v1/models?&key=") == .gemini)
        #expect(Surface.hasKeyParameter("a=1&b=2&key=x") && !Surface.hasKeyParameter("") && !Surface.hasKeyParameter("ke"))
        #expect(!Surface.hasKeyParameter("x=&key") && Surface.hasKeyParameter("key=é&x=ü"))
    }
}
