package dev.parley.server.dialect;

import dev.parley.runtime.engine.EngineClient;
import dev.parley.server.dialect.aisdk.AiChatRequests;
import dev.parley.server.dialect.anthropic.AnthropicRequests;
import dev.parley.server.dialect.aisdk.UiChatRequests;
import dev.parley.server.dialect.byid.ConversationByIdRequests;
import dev.parley.server.dialect.messagethreads.MessageThreadsService;
import dev.parley.server.dialect.ollama.OllamaEmbeddings;
import dev.parley.server.dialect.ollama.OllamaService;
import dev.parley.server.dialect.openai.OpenAiEmbeddings;
import dev.parley.server.dialect.openai.OpenAiRequests;
import dev.parley.server.dialect.openai.TokenizerRoutes;
import dev.parley.server.dialect.paddler.PaddlerRequests;
import dev.parley.server.dialect.parley.ApiExplorer;
import dev.parley.server.dialect.parley.ConversationRequests;
import dev.parley.server.dialect.parley.FilesService;
import dev.parley.server.files.FileUploads;
import dev.parley.server.modelref.ModelResolver;
import dev.parley.server.dialect.parley.ThreadsService;
import dev.parley.server.dialect.parley.UsageService;
import dev.parley.server.exchange.Dialect;
import dev.parley.server.threads.ThreadStore;
import java.nio.file.Path;
import java.util.List;

/** Every dialect the server speaks. A new one is one line here. */
public final class Dialects {

    private Dialects() {
    }

    /** What a dialect may need to start. */
    public record Needs(EngineClient engine, ThreadStore store, Path llamaSource, FileUploads uploads, ModelResolver models,
                        dev.parley.server.models.ModelRouter router) {
        /** One model served for every request (tests that build dialects by hand). */
        public Needs(EngineClient engine, ThreadStore store, Path llamaSource, FileUploads uploads, ModelResolver models) {
            this(engine, store, llamaSource, uploads, models, dev.parley.server.models.ModelRouter.single(engine));
        }
    }

    public static List<Dialect> all(Needs n) {
        return List.of(
                new PaddlerRequests(n.store().files()),
                new ThreadsService(n.store(), n.router()),
                new AnthropicRequests(n.engine(), n.store().files(), n.router()), // before OpenAI's catch-all of /v1/
                new OpenAiRequests(n.engine(), n.store(), n.uploads(), n.router()),
                new TokenizerRoutes(n.engine(), n.store().files()),
                new OpenAiEmbeddings(n.engine(), n.router()),
                new AiChatRequests(),
                new UiChatRequests(),
                new ConversationRequests(n.store().files()),
                new FilesService(n.store().files(), n.uploads()),
                new ConversationByIdRequests(n.store()),
                new MessageThreadsService(n.store()),
                new OllamaService(n.engine(), n.models(), n.router()),
                new OllamaEmbeddings(n.router()),
                new UsageService(),
                new ApiExplorer());
    }
}
