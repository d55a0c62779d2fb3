package dev.parley.runtime.template;

/** A chat template failed to compile, or raised while rendering; the message names the template. */
public final class ChatTemplateException extends RuntimeException {

    private final String templateName;

    public ChatTemplateException(String templateName, String message) {
        super("chat template " + templateName + ": " + message);
        this.templateName = templateName;
    }

    public String templateName() {
        return templateName;
    }
}
