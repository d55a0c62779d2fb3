package dev.parley.runtime.template;

import java.util.List;
import java.util.Map;
import java.util.Objects;

/** Python comparisons between the values templates see. */
final class PyOps {

    private PyOps() {
    }

    /** Python ==: numbers compare by value across int/float, True == 1. */
    static boolean equal(Object a, Object b) {
        a = PyValues.unwrap(a);
        b = PyValues.unwrap(b);
        if (a instanceof Number || a instanceof Boolean) {
            if (b instanceof Number || b instanceof Boolean) {
                return toDouble(a) == toDouble(b);
            }
            return false;
        }
        if (a instanceof List<?> la && b instanceof List<?> lb) {
            if (la.size() != lb.size()) {
                return false;
            }
            for (int i = 0; i < la.size(); i++) {
                if (!equal(la.get(i), lb.get(i))) {
                    return false;
                }
            }
            return true;
        }
        if (a instanceof Map<?, ?> ma && b instanceof Map<?, ?> mb) {
            return ma.equals(mb);
        }
        return Objects.equals(a, b);
    }

    static double toDouble(Object v) {
        return v instanceof Boolean b ? (b ? 1 : 0) : ((Number) v).doubleValue();
    }
}
