package dev.parley.runtime.template;

import com.hubspot.jinjava.Jinjava;
import com.hubspot.jinjava.JinjavaConfig;
import com.hubspot.jinjava.interpret.Context;
import com.hubspot.jinjava.interpret.JinjavaInterpreter;

/** Prints values as Python's str() does: True, 1.0, {'a': 1}; None and undefined print nothing. */
final class PyInterpreter extends JinjavaInterpreter {

    PyInterpreter(Jinjava application, Context context, JinjavaConfig config) {
        super(application, context, config);
    }

    @Override
    public String getAsString(Object object) {
        return object == null || object instanceof com.hubspot.jinjava.interpret.NullValue ? "" : PyValues.str(object);
    }
}
