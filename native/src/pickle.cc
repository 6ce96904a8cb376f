// Reading PyTorch zip checkpoints (what torch.save writes since 1.6, e.g. HF's pytorch_model.bin)
// without Python and without running any code from the file.
//
// The zip container and its storage records are read by libtorch's PyTorchStreamReader. data.pkl is
// interpreted here, by a restricted unpickler, because libtorch 1.13's own (torch::jit::pickle_load,
// readArchiveAndTensors) cannot read what torch.save writes for a module's state_dict: it has no
// SETITEM (emitted for every one-entry dict, e.g. each `_metadata` entry), it treats BUILD as REDUCE
// (the OrderedDict's `_metadata` attribute), and it indexes its stack and marks unchecked, so a
// corrupted file could crash the process. This one knows the data opcodes of pickle protocols 2–5,
// calls nothing but a fixed list (OrderedDict and torch's tensor/parameter rebuilders), and checks
// every read, index and size: a bad file is a JS Error naming the problem and its byte offset.
#include <ATen/ATen.h>
#include <caffe2/serialize/inline_container.h>

#include <cstdio>
#include <cstring>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "handle.h"
#include "ops.h"

namespace {

struct Value;
using Ptr = std::shared_ptr<Value>;

struct Value {
  enum class Kind { None, Bool, Int, Float, Str, Bytes, Tuple, List, Dict, Global, Storage, Tensor };
  Kind kind = Kind::None;
  int64_t i = 0;
  double f = 0;
  std::string s;            // Str, Bytes; Global: "module.name"; Storage/Tensor: the storage record key
  std::vector<Ptr> items;   // Tuple, List; Dict: keys and values interleaved, in insertion order
  at::Tensor tensor;        // Storage: a 1-D view of the whole storage; Tensor: the tensor
};

const char* KindName(Value::Kind k) {
  switch (k) {
    case Value::Kind::None: return "None";
    case Value::Kind::Bool: return "bool";
    case Value::Kind::Int: return "int";
    case Value::Kind::Float: return "float";
    case Value::Kind::Str: return "str";
    case Value::Kind::Bytes: return "bytes";
    case Value::Kind::Tuple: return "tuple";
    case Value::Kind::List: return "list";
    case Value::Kind::Dict: return "dict";
    case Value::Kind::Global: return "global";
    case Value::Kind::Storage: return "storage";
    case Value::Kind::Tensor: return "tensor";
  }
  return "?";
}

Ptr Make(Value::Kind k) {
  auto v = std::make_shared<Value>();
  v->kind = k;
  return v;
}

// torch.<Name>Storage → element type (the storage classes torch.save names in persistent ids).
const std::map<std::string, at::ScalarType>& StorageTypes() {
  static const std::map<std::string, at::ScalarType> m = {
      {"DoubleStorage", at::kDouble}, {"FloatStorage", at::kFloat}, {"HalfStorage", at::kHalf},
      {"BFloat16Storage", at::kBFloat16}, {"LongStorage", at::kLong}, {"IntStorage", at::kInt},
      {"ShortStorage", at::kShort}, {"CharStorage", at::kChar}, {"ByteStorage", at::kByte},
      {"BoolStorage", at::kBool}};
  return m;
}

class Unpickler {
 public:
  Unpickler(const uint8_t* data, size_t size, caffe2::serialize::PyTorchStreamReader& reader)
      : data_(data), size_(size), reader_(reader) {}

  Ptr Run() {
    while (true) {
      op_pos_ = pos_;
      uint8_t op = Byte();
      if (op == '.') break;  // STOP
      Step(op);
    }
    Check(stack_.size() == 1, "the pickle left " + std::to_string(stack_.size()) + " values, expected 1");
    return stack_.back();
  }

  // How many tensors were built on each storage record (shared storages are copied apart later).
  std::unordered_map<std::string, int> storage_users;

 private:
  [[noreturn]] void Fail(const std::string& what) const {
    throw mx::JsError("data.pkl: " + what + " (opcode at byte " + std::to_string(op_pos_) + ")");
  }
  void Check(bool ok, const std::string& what) const {
    if (!ok) Fail(what);
  }
  const uint8_t* Take(size_t n) {
    Check(n <= size_ - pos_, "truncated");
    const uint8_t* p = data_ + pos_;
    pos_ += n;
    return p;
  }
  uint8_t Byte() { return *Take(1); }
  uint64_t LittleEndian(size_t n) {
    const uint8_t* p = Take(n);
    uint64_t v = 0;
    for (size_t k = 0; k < n; k++) v |= static_cast<uint64_t>(p[k]) << (8 * k);
    return v;
  }
  std::string Bytes(uint64_t n) {
    Check(n <= size_ - pos_, "truncated string of " + std::to_string(n) + " bytes");
    const uint8_t* p = Take(static_cast<size_t>(n));
    return std::string(reinterpret_cast<const char*>(p), static_cast<size_t>(n));
  }
  std::string Line() {
    size_t start = pos_;
    while (pos_ < size_ && data_[pos_] != '\n') pos_++;
    Check(pos_ < size_, "truncated GLOBAL name");
    std::string s(reinterpret_cast<const char*>(data_ + start), pos_ - start);
    pos_++;
    return s;
  }

  Ptr Pop() {
    Check(!stack_.empty() && (marks_.empty() || stack_.size() > marks_.back()), "pop from an empty stack");
    Ptr v = stack_.back();
    stack_.pop_back();
    return v;
  }
  Ptr& Top() {
    Check(!stack_.empty() && (marks_.empty() || stack_.size() > marks_.back()), "empty stack");
    return stack_.back();
  }
  // Values above the last MARK, which is removed.
  std::vector<Ptr> PopToMark() {
    Check(!marks_.empty(), "no MARK");
    size_t start = marks_.back();
    marks_.pop_back();
    std::vector<Ptr> out(stack_.begin() + static_cast<std::ptrdiff_t>(start), stack_.end());
    stack_.resize(start);
    return out;
  }
  Ptr Expect(Ptr v, Value::Kind k, const char* what) {
    Check(v->kind == k, std::string(what) + " must be a " + KindName(k) + ", got a " + KindName(v->kind));
    return v;
  }
  void Memoize(uint64_t id) {
    Check(!stack_.empty(), "memo put from an empty stack");
    memo_[id] = stack_.back();
  }
  Ptr Memo(uint64_t id) {
    auto it = memo_.find(id);
    Check(it != memo_.end(), "memo entry " + std::to_string(id) + " is not defined");
    return it->second;
  }
  void SetItems(Ptr dict, const std::vector<Ptr>& kv) {
    Expect(dict, Value::Kind::Dict, "the target of SETITEM(S)");
    Check(kv.size() % 2 == 0, "odd number of values for SETITEMS");
    for (size_t k = 0; k < kv.size(); k += 2) {
      Expect(kv[k], Value::Kind::Str, "a dict key");
      auto& items = dict->items;
      bool replaced = false;
      for (size_t j = 0; j < items.size(); j += 2) {
        if (items[j]->s == kv[k]->s) {
          items[j + 1] = kv[k + 1];
          replaced = true;
          break;
        }
      }
      if (!replaced) {
        items.push_back(kv[k]);
        items.push_back(kv[k + 1]);
      }
    }
  }
  Ptr Sequence(Value::Kind k, std::vector<Ptr> items) {
    Ptr v = Make(k);
    v->items = std::move(items);
    return v;
  }
  Ptr Int(int64_t i) {
    Ptr v = Make(Value::Kind::Int);
    v->i = i;
    return v;
  }
  Ptr Str(std::string s, Value::Kind k = Value::Kind::Str) {
    Ptr v = Make(k);
    v->s = std::move(s);
    return v;
  }

  void Step(uint8_t op) {
    using K = Value::Kind;
    switch (op) {
      case 0x80: {  // PROTO
        uint8_t proto = Byte();
        Check(proto >= 2 && proto <= 5, "pickle protocol " + std::to_string(proto) + " (2 to 5 are read)");
        break;
      }
      case 0x95: Take(8); break;                        // FRAME: a length hint only
      case '(': marks_.push_back(stack_.size()); break;  // MARK
      case '0': Pop(); break;                           // POP
      case '1': PopToMark(); break;                     // POP_MARK
      case 'N': stack_.push_back(Make(K::None)); break;
      case 0x88: case 0x89: {  // NEWTRUE, NEWFALSE
        Ptr v = Make(K::Bool);
        v->i = op == 0x88;
        stack_.push_back(v);
        break;
      }
      case 'K': stack_.push_back(Int(Byte())); break;                                           // BININT1
      case 'M': stack_.push_back(Int(static_cast<int64_t>(LittleEndian(2)))); break;             // BININT2
      case 'J': stack_.push_back(Int(static_cast<int32_t>(LittleEndian(4)))); break;             // BININT
      case 0x8a: {  // LONG1: n little-endian two's-complement bytes
        uint8_t n = Byte();
        Check(n <= 8, "integer of " + std::to_string(n) + " bytes");
        uint64_t u = LittleEndian(n);
        if (n > 0 && n < 8 && (u >> (8 * n - 1)) & 1) u |= ~uint64_t{0} << (8 * n);
        stack_.push_back(Int(static_cast<int64_t>(u)));
        break;
      }
      case 'G': {  // BINFLOAT: big-endian double
        const uint8_t* p = Take(8);
        uint64_t u = 0;
        for (int k = 0; k < 8; k++) u = (u << 8) | p[k];
        Ptr v = Make(K::Float);
        std::memcpy(&v->f, &u, 8);
        stack_.push_back(v);
        break;
      }
      case 'X': stack_.push_back(Str(Bytes(LittleEndian(4)))); break;                 // BINUNICODE
      case 0x8c: stack_.push_back(Str(Bytes(Byte()))); break;                         // SHORT_BINUNICODE
      case 0x8d: stack_.push_back(Str(Bytes(LittleEndian(8)))); break;                // BINUNICODE8
      case 'B': stack_.push_back(Str(Bytes(LittleEndian(4)), K::Bytes)); break;       // BINBYTES
      case 'C': stack_.push_back(Str(Bytes(Byte()), K::Bytes)); break;                // SHORT_BINBYTES
      case ')': stack_.push_back(Make(K::Tuple)); break;                              // EMPTY_TUPLE
      case 't': stack_.push_back(Sequence(K::Tuple, PopToMark())); break;             // TUPLE
      case 0x85: case 0x86: case 0x87: {                                              // TUPLE1..3
        size_t n = op - 0x84;
        std::vector<Ptr> items(n);
        for (size_t k = n; k-- > 0;) items[k] = Pop();
        stack_.push_back(Sequence(K::Tuple, std::move(items)));
        break;
      }
      case ']': stack_.push_back(Make(K::List)); break;                               // EMPTY_LIST
      case 'l': stack_.push_back(Sequence(K::List, PopToMark())); break;              // LIST
      case 'a': {                                                                     // APPEND
        Ptr v = Pop();
        Expect(Top(), K::List, "the target of APPEND")->items.push_back(v);
        break;
      }
      case 'e': {                                                                     // APPENDS
        auto items = PopToMark();
        auto& list = Expect(Top(), K::List, "the target of APPENDS")->items;
        list.insert(list.end(), items.begin(), items.end());
        break;
      }
      case '}': stack_.push_back(Make(K::Dict)); break;                               // EMPTY_DICT
      case 'd': {                                                                     // DICT
        Ptr d = Make(K::Dict);
        SetItems(d, PopToMark());
        stack_.push_back(d);
        break;
      }
      case 's': {                                                                     // SETITEM
        Ptr v = Pop();
        Ptr k = Pop();
        SetItems(Top(), {k, v});
        break;
      }
      case 'u': {                                                                     // SETITEMS
        auto kv = PopToMark();
        SetItems(Top(), kv);
        break;
      }
      case 'q': Memoize(Byte()); break;                                               // BINPUT
      case 'r': Memoize(LittleEndian(4)); break;                                      // LONG_BINPUT
      case 0x94: Memoize(memo_.size()); break;                                        // MEMOIZE
      case 'h': stack_.push_back(Memo(Byte())); break;                                // BINGET
      case 'j': stack_.push_back(Memo(LittleEndian(4))); break;                       // LONG_BINGET
      case 'c': {                                                                     // GLOBAL
        std::string module = Line();
        std::string name = Line();
        stack_.push_back(Global(module, name));
        break;
      }
      case 0x93: {                                                                    // STACK_GLOBAL
        Ptr name = Expect(Pop(), K::Str, "a STACK_GLOBAL name");
        Ptr module = Expect(Pop(), K::Str, "a STACK_GLOBAL module");
        stack_.push_back(Global(module->s, name->s));
        break;
      }
      case 'R': {                                                                     // REDUCE
        Ptr args = Expect(Pop(), K::Tuple, "REDUCE's arguments");
        Ptr fn = Expect(Pop(), K::Global, "REDUCE's callable");
        stack_.push_back(Call(fn->s, args->items));
        break;
      }
      case 'b': {  // BUILD: only an OrderedDict's attributes (state_dict's `_metadata`), which we drop
        Pop();
        Expect(Top(), K::Dict, "the target of BUILD");
        break;
      }
      case 'Q': stack_.push_back(PersistentLoad(Expect(Pop(), K::Tuple, "a persistent id"))); break;
      default: {
        char hex[8];
        std::snprintf(hex, sizeof hex, "0x%02x", op);
        Fail(std::string("unsupported opcode ") + hex);
      }
    }
  }

  Ptr Global(const std::string& module, const std::string& name) {
    std::string full = module + "." + name;
    bool known = full == "collections.OrderedDict" || full == "torch._utils._rebuild_tensor_v2" ||
                 full == "torch._utils._rebuild_tensor" || full == "torch._utils._rebuild_parameter" ||
                 full == "torch._utils._rebuild_parameter_with_state" ||
                 (module == "torch" && StorageTypes().count(name));
    Check(known, "refusing global \"" + full + "\": only dicts of tensors are read (nothing in the file is run)");
    return Str(full, Value::Kind::Global);
  }

  int64_t IntArg(const std::vector<Ptr>& args, size_t k, const char* what) {
    Check(k < args.size(), std::string("missing argument ") + what);
    return Expect(args[k], Value::Kind::Int, what)->i;
  }
  std::vector<int64_t> IntsArg(const std::vector<Ptr>& args, size_t k, const char* what) {
    Check(k < args.size(), std::string("missing argument ") + what);
    Ptr t = Expect(args[k], Value::Kind::Tuple, what);
    std::vector<int64_t> out;
    for (auto& v : t->items) out.push_back(Expect(v, Value::Kind::Int, what)->i);
    return out;
  }

  Ptr Call(const std::string& fn, const std::vector<Ptr>& args) {
    if (fn == "collections.OrderedDict") {
      Check(args.empty(), "OrderedDict with constructor arguments");
      return Make(Value::Kind::Dict);
    }
    if (fn == "torch._utils._rebuild_parameter" || fn == "torch._utils._rebuild_parameter_with_state") {
      Check(!args.empty(), "a parameter without data");
      return Expect(args[0], Value::Kind::Tensor, "a parameter's data");
    }
    if (fn == "torch._utils._rebuild_tensor_v2" || fn == "torch._utils._rebuild_tensor") {
      Check(!args.empty(), "a tensor without storage");
      Ptr storage = Expect(args[0], Value::Kind::Storage, "a tensor's storage");
      int64_t offset = IntArg(args, 1, "storage_offset");
      auto sizes = IntsArg(args, 2, "size");
      auto strides = IntsArg(args, 3, "stride");
      Check(sizes.size() == strides.size(), "size and stride of different lengths");
      // The last element the view reaches must lie inside the storage.
      int64_t numel = storage->tensor.numel();
      bool empty = false;
      int64_t last = offset;
      bool ok = offset >= 0;
      for (size_t d = 0; d < sizes.size() && ok; d++) {
        ok = sizes[d] >= 0 && strides[d] >= 0;
        if (sizes[d] == 0) empty = true;
        int64_t reach = 0;
        ok = ok && !__builtin_mul_overflow(sizes[d] > 0 ? sizes[d] - 1 : 0, strides[d], &reach) &&
             !__builtin_add_overflow(last, reach, &last);
      }
      Check(ok && (empty ? offset <= numel : last < numel),
            "tensor view (offset " + std::to_string(offset) + ") lies outside its storage of " +
                std::to_string(numel) + " elements");
      Ptr t = Make(Value::Kind::Tensor);
      t->s = storage->s;
      t->tensor = storage->tensor.as_strided(sizes, strides, offset);
      storage_users[storage->s]++;
      return t;
    }
    Fail("cannot call " + fn);
  }

  // ('storage', torch.<T>Storage, key, location, numel) → the record data/<key> as a 1-D tensor.
  Ptr PersistentLoad(Ptr pid) {
    auto& a = pid->items;
    Check(a.size() == 5 && a[0]->kind == Value::Kind::Str && a[0]->s == "storage",
          "unknown persistent id (expected ('storage', type, key, location, numel))");
    Ptr type = Expect(a[1], Value::Kind::Global, "a storage type");
    std::string key = Expect(a[2], Value::Kind::Str, "a storage key")->s;
    int64_t numel = Expect(a[4], Value::Kind::Int, "a storage size")->i;
    auto found = StorageTypes().find(type->s.substr(type->s.find('.') + 1));
    Check(type->s.rfind("torch.", 0) == 0 && found != StorageTypes().end(), "not a storage type: " + type->s);
    auto cached = storages_.find(key);
    if (cached != storages_.end()) {
      Check(cached->second->tensor.scalar_type() == found->second && cached->second->tensor.numel() == numel,
            "storage " + key + " is referenced with two different types or sizes");
      return cached->second;
    }
    std::string record = "data/" + key;
    Check(reader_.hasRecord(record), "storage record " + record + " is missing from the archive");
    at::DataPtr ptr;
    size_t bytes = 0;
    std::tie(ptr, bytes) = reader_.getRecord(record);
    size_t itemsize = c10::elementSize(found->second);
    size_t need = 0;
    Check(numel >= 0 && !__builtin_mul_overflow(static_cast<size_t>(numel), itemsize, &need) && need <= bytes,
          "storage " + key + " holds " + std::to_string(bytes) + " bytes, its tensor needs " +
              std::to_string(numel) + " × " + std::to_string(itemsize));
    at::Storage storage(c10::Storage::use_byte_size_t(), need, std::move(ptr), /*allocator=*/nullptr,
                        /*resizable=*/false);
    Ptr v = Make(Value::Kind::Storage);
    v->s = key;
    v->tensor = at::empty({0}, at::TensorOptions().dtype(found->second)).set_(storage, 0, {numel}, {1});
    storages_[key] = v;
    return v;
  }

  const uint8_t* data_;
  size_t size_;
  size_t pos_ = 0;
  size_t op_pos_ = 0;
  caffe2::serialize::PyTorchStreamReader& reader_;
  std::vector<Ptr> stack_;
  std::vector<size_t> marks_;
  std::unordered_map<uint64_t, Ptr> memo_;
  std::unordered_map<std::string, Ptr> storages_;
};

}  // namespace

// readTorchZip(path) → { names, tensors }: the name → tensor dict of a torch.save zip archive, on the
// CPU, each tensor contiguous and owning its memory (tied or sliced storages are copied apart).
MX_OP(readTorchZip) {
  std::string path = mx::S(info, 0);
  caffe2::serialize::PyTorchStreamReader reader(path);
  if (reader.hasRecord("byteorder")) {
    auto rec = reader.getRecord("byteorder");
    std::string order(static_cast<const char*>(std::get<0>(rec).get()), std::get<1>(rec));
    if (order != "little") throw mx::JsError("byteorder record says \"" + order + "\"; only little-endian files are read");
  }
  if (!reader.hasRecord("data.pkl")) throw mx::JsError("no data.pkl in the archive: not a torch.save file");
  auto pkl = reader.getRecord("data.pkl");
  Unpickler unpickler(static_cast<const uint8_t*>(std::get<0>(pkl).get()), std::get<1>(pkl), reader);
  Ptr root = unpickler.Run();
  if (root->kind != Value::Kind::Dict) {
    throw mx::JsError(std::string("the file holds a ") + KindName(root->kind) + ", not a dict of tensors");
  }
  auto names = Napi::Array::New(env);
  auto tensors = Napi::Array::New(env);
  std::vector<at::Tensor> out;
  std::unordered_set<std::string> emitted;  // storages already handed out
  for (size_t k = 0; k < root->items.size(); k += 2) {
    const Ptr& v = root->items[k + 1];
    if (v->kind != Value::Kind::Tensor) {
      throw mx::JsError("entry \"" + root->items[k]->s + "\" is a " + KindName(v->kind) + ", not a tensor");
    }
    const at::Tensor& t = v->tensor;
    bool alone = unpickler.storage_users[v->s] == 1 && emitted.insert(v->s).second && t.is_contiguous() &&
                 t.storage_offset() == 0 && static_cast<size_t>(t.numel()) * t.element_size() == t.storage().nbytes();
    out.push_back(alone ? t : t.clone(at::MemoryFormat::Contiguous));
  }
  for (size_t k = 0; k < out.size(); k++) {
    names.Set(static_cast<uint32_t>(k), root->items[2 * k]->s);
    tensors.Set(static_cast<uint32_t>(k), mx::WrapTensor(env, out[k]));
  }
  auto result = Napi::Object::New(env);
  result.Set("names", names);
  result.Set("tensors", tensors);
  return result;
}

void mx::RegisterPickle(Napi::Env env, Napi::Object exports) {
  exports.Set("readTorchZip", Napi::Function::New(env, js_readTorchZip, "readTorchZip"));
}
