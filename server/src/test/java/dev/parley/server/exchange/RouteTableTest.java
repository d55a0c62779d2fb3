package dev.parley.server.exchange;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.parley.server.auth.Credentials;
import dev.parley.server.dialect.openai.OpenAiErrors;
import dev.parley.server.dialect.parley.ParleyErrors;
import io.helidon.webserver.http.Handler;
import io.helidon.webserver.http.HttpRouting;
import io.helidon.webserver.http.HttpRules;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class RouteTableTest {

    private static final Handler NOTHING = (req, res) -> res.send();

    @Test
    void theRecordingRulesNoteEveryRouteTheyPassOn() {
        RouteTable table = new RouteTable();
        HttpRules rules = table.recording(HttpRouting.builder());
        // a dialect's usual chain: every call returns the recording rules, so chained routes are noted too
        rules.post("/v1/chat/completions", NOTHING).get("/v1/models", NOTHING).get("/v1/models/{id}", NOTHING)
             .patch("/t/{id}", NOTHING).delete("/t/{id}", NOTHING).any("/anything", NOTHING);
        assertEquals(List.of("POST /v1/chat/completions", "GET /v1/models", "GET /v1/models/{id}", "PATCH /t/{id}", "DELETE /t/{id}",
                "ANY /anything"), table.all().stream().map(RouteTable.Route::toString).toList());
        assertEquals(Set.of("POST"), table.methodsOn("/v1/chat/completions"));
        assertEquals(Set.of("GET"), table.methodsOn("/v1/models/some-model"));
        assertEquals(List.of("DELETE", "PATCH"), List.copyOf(table.methodsOn("/t/abc")), "sorted");
        assertTrue(table.methodsOn("/v1/models/a/b").isEmpty(), "{id} is one path segment");
        assertTrue(table.methodsOn("/anything").isEmpty(), "a route for any method leaves nothing to refuse");
        assertTrue(table.methodsOn("/nowhere").isEmpty());
    }

    @Test
    void twoDialectsCannotOwnOnePrefixWithDifferentShapes() {
        Endpoints endpoints = new Endpoints(null, null, ParleyErrors.SHAPE);
        endpoints.owns("/api/v1/", ParleyErrors.SHAPE);
        endpoints.owns("/api/v1/", ParleyErrors.SHAPE); // several dialects share Parley's prefix and shape
        assertThrows(IllegalStateException.class, () -> endpoints.owns("/api/v1/", OpenAiErrors.SHAPE));
        assertThrows(IllegalStateException.class, () -> endpoints.owns("/api/v1/", ParleyErrors.SHAPE, Credentials.orQueryParameter("k")));
        assertEquals(ParleyErrors.SHAPE, endpoints.ownerShape("/api/v1/x"), "the first owner keeps it");
    }
}
