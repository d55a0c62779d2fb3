package dev.parley.server;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Real npm clients against /v1: the official openai client (chat, tools, json_schema, responses), the ai
 * SDK's default OpenAI provider (which speaks the Responses API) and LangChain's ChatOpenAI.
 */
class OpenAiNodeClientTest {

    @ServerFlags({"--slots", "2", "--ctx-size", "4096"})
    private static TestServer server;

    @Test
    void chatWholeAndStreamed() {
        NodeClients.run("openai-chat.mjs", base(), Duration.ofSeconds(60), List.of());
    }

    @Test
    void openAiFilesAndFileParts() {
        NodeClients.run("openai-files.mjs", base(), Duration.ofSeconds(60), List.of());
    }

    @Test
    void openAiToolsStructuredOutputsAndResponses() {
        NodeClients.run("openai-tools.mjs", base(), Duration.ofSeconds(120), List.of());
    }

    @Test
    void openAiConversationsAndStoredResponses() {
        NodeClients.run("openai-conversations.mjs", base(), Duration.ofSeconds(120), List.of());
    }

    @Test
    void aiSdkOpenAiProvider() {
        NodeClients.run("ai-sdk-openai.mjs", base(), Duration.ofSeconds(120), List.of());
    }

    @Test
    void langChainChatOpenAi() {
        NodeClients.run("langchain-openai.mjs", base(), Duration.ofSeconds(120), List.of());
    }

    @Test
    void openAiAgents() {
        NodeClients.run("openai-agents.mjs", base(), Duration.ofSeconds(120), List.of());
    }

    private static String base() {
        return "http://127.0.0.1:" + server.server.port();
    }
}
