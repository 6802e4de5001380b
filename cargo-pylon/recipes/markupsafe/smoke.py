"""MarkupSafe inside pylon, with its C speedups: escaping goes through the compiled
markupsafe._speedups (not the pure-Python fallback), and gives the documented results."""
import markupsafe
from markupsafe import Markup, escape, escape_silent, soft_str

assert markupsafe._escape_inner.__module__ == "markupsafe._speedups", markupsafe._escape_inner
assert type(markupsafe._escape_inner).__name__ == "builtin_function_or_method"
assert escape("<a href='x'>&\"</a>") == Markup("&lt;a href=&#39;x&#39;&gt;&amp;&#34;&lt;/a&gt;")
assert escape("\U0001f600 <b>") == "\U0001f600 &lt;b&gt;"  # 4-byte code points
assert escape("é<") == "é&lt;" and escape("€>") == "€&gt;"  # 1- and 2-byte kinds
assert escape_silent(None) == Markup("")
assert soft_str(Markup("<b>")) == "<b>"
assert Markup("<em>%s</em>") % "<bad>" == "<em>&lt;bad&gt;</em>"
assert Markup("<p>{}</p>").format("<x>") == "<p>&lt;x&gt;</p>"
assert Markup("<b>a</b> &amp; c").striptags() == "a & c"
assert Markup("&lt;&#65;&gt;").unescape() == "<A>"
print("markupsafe ok:", markupsafe.__version__ if hasattr(markupsafe, "__version__") else "3.0.4")
