package dev.parley.server;

import dev.parley.bindings.ModelLoadException;
import dev.parley.bindings.NativeCallException;
import dev.parley.bindings.NativeLoadException;
import dev.parley.runtime.template.ChatTemplateException;
import dev.parley.runtime.testmodel.TestModels;
import dev.parley.server.config.ConfigException;
import dev.parley.server.config.ServerConfig;


/** {@code ./parley serve}: configuration, the demo model when none is given, start, and a clean stop. */
public final class Main {

    private static final System.Logger LOG = System.getLogger("parley");

    private Main() {
    }

    public static void main(String[] args) {
        ServerConfig config;
        try {
            config = ServerConfig.load(args, System.getenv());
        } catch (ServerConfig.HelpRequested h) {
            System.out.print(ServerConfig.usage());
            return;
        } catch (ConfigException e) {
            System.err.println("parley: " + e.getMessage());
            System.exit(2);
            return;
        }
        try {
            if (config.model() == null) {
                config = config.withModel(TestModels.tinyQwen3());
                LOG.log(System.Logger.Level.INFO, "no --model given: serving the generated tiny demo model " + config.model().display()
                        + " (random weights, so its answers are gibberish; pass --model PATH or --model hf:ORG/REPO:QUANT for a real one)");
            }
            ParleyServer server = ParleyServer.start(config);
            Runtime.getRuntime().addShutdownHook(Thread.ofPlatform().name("parley-shutdown").unstarted(() -> {
                LOG.log(System.Logger.Level.INFO, "shutting down");
                server.close();
            }));
            LOG.log(System.Logger.Level.INFO, "Parley listening on http://" + config.host() + ":" + server.port()
                    + " (model " + server.engine().model().name() + ", " + config.slots() + " slots)");
        } catch (ModelLoadException | ChatTemplateException | NativeLoadException | NativeCallException | IllegalArgumentException
                 | dev.parley.server.threads.StoreException | ServerStartException e) {
            System.err.println("parley: " + e.getMessage());
            System.exit(1);
        }
    }
}
