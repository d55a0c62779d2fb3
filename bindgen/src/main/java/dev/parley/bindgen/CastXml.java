package dev.parley.bindgen;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import javax.xml.parsers.DocumentBuilderFactory;
import javax.xml.parsers.ParserConfigurationException;
import org.w3c.dom.Element;
import org.w3c.dom.Node;
import org.w3c.dom.NodeList;
import org.xml.sax.SAXException;

/**
 * Reads castxml's XML output (format 1): every declaration with its type, and for structs the size,
 * alignment and field offsets that clang computed for this target.
 */
public final class CastXml {

    /** A function declaration with its parameter names. */
    public record FunctionDecl(String name, CType returns, List<String> paramNames, List<CType> paramTypes, boolean variadic) {}

    private final Map<String, Element> byId = new HashMap<>();
    private final Map<String, Element> functions = new HashMap<>();
    private final Map<String, Element> typedefs = new HashMap<>();
    private final Map<String, Element> structs = new HashMap<>();
    private final Map<String, Element> enums = new HashMap<>();
    private final Map<String, CType> resolved = new HashMap<>();

    private CastXml(Element root) {
        for (Node n = root.getFirstChild(); n != null; n = n.getNextSibling()) {
            if (!(n instanceof Element e)) {
                continue;
            }
            byId.put(e.getAttribute("id"), e);
            String name = e.getAttribute("name");
            switch (e.getTagName()) {
                case "Function" -> functions.put(name, e);
                case "Typedef" -> typedefs.put(name, e);
                case "Struct" -> {
                    // Keep the complete definition where a forward declaration also exists.
                    if (!name.isEmpty() && (!structs.containsKey(name) || !e.hasAttribute("incomplete"))) {
                        structs.put(name, e);
                    }
                }
                case "Enumeration" -> enums.put(name, e);
                default -> { }
            }
        }
    }

    public static CastXml read(Path xml) throws IOException {
        try (InputStream in = Files.newInputStream(xml)) {
            DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
            f.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
            return new CastXml(f.newDocumentBuilder().parse(in).getDocumentElement());
        } catch (ParserConfigurationException | SAXException e) {
            throw new IOException("cannot parse castxml output " + xml + ": " + e.getMessage(), e);
        }
    }

    public FunctionDecl function(String name) {
        Element e = require(functions, name, "function");
        List<String> names = new ArrayList<>();
        List<CType> types = new ArrayList<>();
        boolean variadic = false;
        NodeList args = e.getChildNodes();
        for (int i = 0; i < args.getLength(); i++) {
            if (args.item(i) instanceof Element a) {
                if (a.getTagName().equals("Ellipsis")) {
                    variadic = true;
                } else if (a.getTagName().equals("Argument")) {
                    names.add(a.getAttribute("name"));
                    types.add(type(a.getAttribute("type")));
                }
            }
        }
        return new FunctionDecl(name, type(e.getAttribute("returns")), names, types, variadic);
    }

    public CType.Struct struct(String name) {
        return (CType.Struct) type(require(structs, name, "struct").getAttribute("id"));
    }

    public CType.Enum enumeration(String name) {
        return (CType.Enum) type(require(enums, name, "enum").getAttribute("id"));
    }

    /** The function type behind a function-pointer typedef. */
    public CType.Function callback(String typedefName) {
        CType t = CType.canonical(type(require(typedefs, typedefName, "typedef").getAttribute("type")));
        if (t instanceof CType.Pointer p && CType.canonical(p.target()) instanceof CType.Function f) {
            return f;
        }
        throw new IllegalArgumentException("typedef " + typedefName + " is not a function pointer");
    }

    private static Element require(Map<String, Element> map, String name, String what) {
        Element e = map.get(name);
        if (e == null) {
            throw new IllegalArgumentException(what + " '" + name + "' is not declared in the headers");
        }
        return e;
    }

    private CType type(String id) {
        CType known = resolved.get(id);
        if (known != null) {
            return known;
        }
        Element e = byId.get(id);
        if (e == null) {
            throw new IllegalStateException("castxml output refers to unknown id " + id);
        }
        CType t = switch (e.getTagName()) {
            case "FundamentalType" -> scalar(e);
            case "PointerType" -> new CType.Pointer(lazyTarget(e));
            case "Typedef" -> new CType.Named(e.getAttribute("name"), type(e.getAttribute("type")));
            case "CvQualifiedType" -> e.hasAttribute("const") ? new CType.Const(type(e.getAttribute("type"))) : type(e.getAttribute("type"));
            case "ElaboratedType" -> type(e.getAttribute("type"));
            case "Enumeration" -> enumType(e);
            case "Struct" -> struct(id, e);
            case "ArrayType" -> new CType.Array(type(e.getAttribute("type")), arrayLength(e));
            case "FunctionType" -> functionType(e);
            default -> throw new IllegalArgumentException("unsupported castxml type " + e.getTagName() + " (" + e.getAttribute("name") + ")");
        };
        resolved.put(id, t);
        return t;
    }

    /** Pointers to structs are resolved to the struct's name only, which breaks self-reference cycles. */
    private CType lazyTarget(Element pointer) {
        Element target = byId.get(pointer.getAttribute("type"));
        Element t = target;
        while (t != null && (t.getTagName().equals("ElaboratedType") || t.getTagName().equals("CvQualifiedType"))) {
            t = byId.get(t.getAttribute("type"));
        }
        if (t != null && (t.getTagName().equals("Struct") || t.getTagName().equals("Union"))) {
            CType opaque = new CType.Struct(t.getAttribute("name"), 0, 0, null);
            return target.getTagName().equals("CvQualifiedType") && target.hasAttribute("const") ? new CType.Const(opaque) : opaque;
        }
        return type(pointer.getAttribute("type"));
    }

    private static long arrayLength(Element e) {
        String max = e.getAttribute("max");
        return max.isEmpty() ? 0 : Long.parseLong(max.replaceAll("[^0-9]", "")) + 1;
    }

    private CType scalar(Element e) {
        String name = e.getAttribute("name");
        long bytes = Long.parseLong(e.getAttribute("size").isEmpty() ? "0" : e.getAttribute("size")) / 8;
        if (name.equals("void")) {
            return new CType.Void();
        }
        String kind;
        if (name.equals("_Bool") || name.equals("bool")) {
            kind = "bool";
        } else if (name.equals("float")) {
            kind = "float";
        } else if (name.equals("double")) {
            kind = "double";
        } else if (name.contains("char") || name.contains("int") || name.contains("long") || name.contains("short")) {
            kind = switch ((int) bytes) {
                case 1 -> "byte";
                case 2 -> "short";
                case 4 -> "int";
                case 8 -> "long";
                default -> throw new IllegalArgumentException("unsupported integer type " + name + " of " + bytes + " bytes");
            };
        } else {
            throw new IllegalArgumentException("unsupported fundamental type " + name);
        }
        return new CType.Scalar(name, kind, bytes);
    }

    private CType.Enum enumType(Element e) {
        List<CType.EnumValue> values = new ArrayList<>();
        NodeList kids = e.getElementsByTagName("EnumValue");
        for (int i = 0; i < kids.getLength(); i++) {
            Element v = (Element) kids.item(i);
            values.add(new CType.EnumValue(v.getAttribute("name"), Long.parseLong(v.getAttribute("init"))));
        }
        return new CType.Enum(e.getAttribute("name"), Long.parseLong(e.getAttribute("size")) / 8, values);
    }

    private CType struct(String id, Element e) {
        String name = e.getAttribute("name");
        if (e.hasAttribute("incomplete")) {
            return new CType.Struct(name, 0, 0, null);
        }
        List<CType.Field> fields = new ArrayList<>();
        for (String member : e.getAttribute("members").split("\\s+")) {
            Element m = byId.get(member);
            if (m == null || !m.getTagName().equals("Field")) {
                continue;
            }
            if (m.hasAttribute("bits")) {
                throw new IllegalArgumentException("struct " + name + " has bit-field " + m.getAttribute("name") + ": not supported");
            }
            long offsetBits = Long.parseLong(m.getAttribute("offset"));
            fields.add(new CType.Field(m.getAttribute("name"), type(m.getAttribute("type")), offsetBits / 8));
        }
        return new CType.Struct(name, Long.parseLong(e.getAttribute("size")) / 8,
                Long.parseLong(e.getAttribute("align")) / 8, List.copyOf(fields));
    }

    private CType.Function functionType(Element e) {
        List<CType> params = new ArrayList<>();
        boolean variadic = false;
        NodeList kids = e.getChildNodes();
        for (int i = 0; i < kids.getLength(); i++) {
            if (kids.item(i) instanceof Element a) {
                if (a.getTagName().equals("Argument")) {
                    params.add(type(a.getAttribute("type")));
                } else if (a.getTagName().equals("Ellipsis")) {
                    variadic = true;
                }
            }
        }
        return new CType.Function(type(e.getAttribute("returns")), List.copyOf(params), variadic);
    }
}
