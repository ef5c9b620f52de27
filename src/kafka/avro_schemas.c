/* Embedded copies of contract §2.4, generated from the files in schemas/registered/
 * (one literal per schema, split only for line length; the concatenation is
 * the exact registered text).  Why embedded: the gateway must not depend on
 * files at run time, and the ids depend on these exact bytes. */
#include "kafka/avro_schemas.h"

/* io.zeelos.leshan.avro.AvroKey */
static const char ZL_SCHEMA_KEY_TEXT[] =
    "{\"type\":\"record\",\"name\":\"AvroKey\",\"namespace\":\"io.zeelos.leshan.avro\",\"doc\":\"Repr"
    "esents the topic key, currently includes only the endpoint id.\",\"fields\":[{\"name\":\"ep\",\""
    "type\":{\"type\":\"string\",\"avro.java.string\":\"String\"}}]}";

/* io.zeelos.leshan.avro.registration.AvroRegistrationResponse */
static const char ZL_SCHEMA_REGISTRATION_TEXT[] =
    "{\"type\":\"record\",\"name\":\"AvroRegistrationResponse\",\"namespace\":\"io.zeelos.leshan.avro"
    ".registration\",\"doc\":\"Represents the registration response payload.\",\"fields\":[{\"name\":"
    "\"kind\",\"type\":{\"type\":\"enum\",\"name\":\"AvroRegistrationKind\",\"doc\":\"Represents the "
    "kind of the registration.\",\"symbols\":[\"NEW\",\"UPDATE\",\"DELETE\"]}},{\"name\":\"body\",\"t"
    "ype\":[{\"type\":\"record\",\"name\":\"AvroRegistrationNew\",\"doc\":\"Represents a new registra"
    "tion.\",\"fields\":[{\"name\":\"ep\",\"type\":{\"type\":\"string\",\"avro.java.string\":\"String"
    "\"}},{\"name\":\"serverId\",\"type\":{\"type\":\"string\",\"avro.java.string\":\"String\"}},{\"n"
    "ame\":\"regDate\",\"type\":\"long\"},{\"name\":\"address\",\"type\":{\"type\":\"string\",\"avro."
    "java.string\":\"String\"}},{\"name\":\"port\",\"type\":\"int\"},{\"name\":\"regAddr\",\"type\":{"
    "\"type\":\"string\",\"avro.java.string\":\"String\"}},{\"name\":\"regPort\",\"type\":\"int\"},{\""
    "name\":\"lt\",\"type\":\"long\"},{\"name\":\"sms\",\"type\":[\"null\",{\"type\":\"string\",\"avr"
    "o.java.string\":\"String\"}],\"default\":null},{\"name\":\"ver\",\"type\":{\"type\":\"string\",\""
    "avro.java.string\":\"String\"}},{\"name\":\"bnd\",\"type\":{\"type\":\"enum\",\"name\":\"AvroBnd"
    "\",\"doc\":\"Represents the registration binding mode.\",\"symbols\":[\"U\",\"UQ\",\"S\",\"SQ\","
    "\"US\",\"UQS\"]}},{\"name\":\"regId\",\"type\":{\"type\":\"string\",\"avro.java.string\":\"Strin"
    "g\"}},{\"name\":\"links\",\"type\":{\"type\":\"array\",\"items\":{\"type\":\"record\",\"name\":\""
    "AvroLink\",\"doc\":\"Represents the link.\",\"fields\":[{\"name\":\"url\",\"type\":{\"type\":\"s"
    "tring\",\"avro.java.string\":\"String\"}},{\"name\":\"at\",\"type\":{\"type\":\"map\",\"values\""
    ":{\"type\":\"string\",\"avro.java.string\":\"String\"},\"avro.java.string\":\"String\"}}]}}},{\""
    "name\":\"attributes\",\"type\":[\"null\",{\"type\":\"map\",\"values\":{\"type\":\"string\",\"avr"
    "o.java.string\":\"String\"},\"avro.java.string\":\"String\"}],\"default\":null},{\"name\":\"root"
    "\",\"type\":{\"type\":\"string\",\"avro.java.string\":\"String\"}},{\"name\":\"lastUp\",\"type\""
    ":\"long\"}]},{\"type\":\"record\",\"name\":\"AvroRegistrationUpdate\",\"doc\":\"Represents a reg"
    "istration update.\",\"fields\":[{\"name\":\"ep\",\"type\":{\"type\":\"string\",\"avro.java.strin"
    "g\":\"String\"}},{\"name\":\"serverId\",\"type\":{\"type\":\"string\",\"avro.java.string\":\"Str"
    "ing\"}},{\"name\":\"regId\",\"type\":{\"type\":\"string\",\"avro.java.string\":\"String\"}},{\"n"
    "ame\":\"address\",\"type\":{\"type\":\"string\",\"avro.java.string\":\"String\"}},{\"name\":\"po"
    "rt\",\"type\":\"int\"},{\"name\":\"lt\",\"type\":[\"null\",\"long\"],\"default\":null},{\"name\""
    ":\"sms\",\"type\":[\"null\",{\"type\":\"string\",\"avro.java.string\":\"String\"}],\"default\":n"
    "ull},{\"name\":\"bnd\",\"type\":[\"null\",\"AvroBnd\"],\"default\":null},{\"name\":\"links\",\"t"
    "ype\":[\"null\",{\"type\":\"array\",\"items\":\"AvroLink\"}],\"default\":null},{\"name\":\"attri"
    "butes\",\"type\":[\"null\",{\"type\":\"map\",\"values\":{\"type\":\"string\",\"avro.java.string\""
    ":\"String\"},\"avro.java.string\":\"String\"}],\"default\":null},{\"name\":\"lastUp\",\"type\":\""
    "long\"}]},{\"type\":\"record\",\"name\":\"AvroRegistrationDelete\",\"doc\":\"Represents a regist"
    "ration delete.\",\"fields\":[{\"name\":\"ep\",\"type\":{\"type\":\"string\",\"avro.java.string\""
    ":\"String\"}},{\"name\":\"serverId\",\"type\":{\"type\":\"string\",\"avro.java.string\":\"String"
    "\"}},{\"name\":\"expired\",\"type\":\"boolean\"},{\"name\":\"lastUp\",\"type\":\"long\"}]}],\"do"
    "c\":\"Represents the body of the registration.\"}]}";

/* io.zeelos.leshan.avro.response.AvroResponse */
static const char ZL_SCHEMA_RESPONSE_TEXT[] =
    "{\"type\":\"record\",\"name\":\"AvroResponse\",\"namespace\":\"io.zeelos.leshan.avro.response\","
    "\"doc\":\"Represents the management response payload.\",\"fields\":[{\"name\":\"ticket\",\"type\""
    ":{\"type\":\"string\",\"avro.java.string\":\"String\"}},{\"name\":\"serverId\",\"type\":{\"type\""
    ":\"string\",\"avro.java.string\":\"String\"}},{\"name\":\"ep\",\"type\":{\"type\":\"string\",\"a"
    "vro.java.string\":\"String\"}},{\"name\":\"path\",\"type\":{\"type\":\"string\",\"avro.java.stri"
    "ng\":\"String\"}},{\"name\":\"timestamp\",\"type\":\"long\"},{\"name\":\"rep\",\"type\":{\"type\""
    ":\"record\",\"name\":\"AvroResponsePayload\",\"doc\":\"Represents a response payload.\",\"fields"
    "\":[{\"name\":\"code\",\"type\":{\"type\":\"enum\",\"name\":\"AvroResponseCode\",\"doc\":\"Repre"
    "sents the response code.\",\"symbols\":[\"CREATED\",\"DELETED\",\"CHANGED\",\"CONTENT\",\"BAD_RE"
    "QUEST\",\"UNAUTHORIZED\",\"METHOD_NOT_ALLOWED\",\"FORBIDDEN\",\"NOT_FOUND\",\"NOT_ACCEPTABLE\",\""
    "REQUEST_ENTITY_INCOMPLETE\",\"PRECONDITION_FAILED\",\"REQUEST_ENTITY_TOO_LARGE\",\"UNSUPPORTED_C"
    "ONTENT_FORMAT\",\"INTERNAL_SERVER_ERROR\",\"UNKNOWN\"]}},{\"name\":\"kind\",\"type\":{\"type\":\""
    "enum\",\"name\":\"AvroRequestKind\",\"namespace\":\"io.zeelos.leshan.avro.request\",\"doc\":\"Re"
    "presents the request kind.\",\"symbols\":[\"read\",\"write\",\"writeAttributes\",\"execute\",\"o"
    "bserve\",\"observeCancel\",\"delete\",\"discover\",\"create\"]}},{\"name\":\"body\",\"type\":[\""
    "null\",{\"type\":\"record\",\"name\":\"AvroReadResponseBody\",\"doc\":\"Represents the body of t"
    "he response.\",\"fields\":[{\"name\":\"content\",\"type\":[{\"type\":\"record\",\"name\":\"AvroO"
    "bjectResource\",\"namespace\":\"io.zeelos.leshan.avro.resource\",\"doc\":\"Represents an object."
    "\",\"fields\":[{\"name\":\"id\",\"type\":\"int\"},{\"name\":\"kind\",\"type\":{\"type\":\"enum\""
    ",\"name\":\"AvroResourceKind\",\"doc\":\"Represents the resource kind.\",\"symbols\":[\"OBJECT\""
    ",\"INSTANCE\",\"MULTIPLE_RESOURCE\",\"SINGLE_RESOURCE\"]}},{\"name\":\"instances\",\"type\":{\"t"
    "ype\":\"array\",\"items\":{\"type\":\"record\",\"name\":\"AvroInstanceResource\",\"doc\":\"Repre"
    "sents the resource instance.\",\"fields\":[{\"name\":\"id\",\"type\":\"int\"},{\"name\":\"kind\""
    ",\"type\":\"AvroResourceKind\"},{\"name\":\"resources\",\"type\":{\"type\":\"array\",\"items\":{"
    "\"type\":\"record\",\"name\":\"AvroResource\",\"doc\":\"Represents a resource.\",\"fields\":[{\""
    "name\":\"id\",\"type\":\"int\"},{\"name\":\"path\",\"type\":{\"type\":\"string\",\"avro.java.str"
    "ing\":\"String\"}},{\"name\":\"kind\",\"type\":\"AvroResourceKind\"},{\"name\":\"type\",\"type\""
    ":{\"type\":\"enum\",\"name\":\"AvroType\",\"doc\":\"Represents the resource type.\",\"symbols\":"
    "[\"STRING\",\"FLOAT\",\"INTEGER\",\"BOOLEAN\",\"OPAQUE\",\"TIME\",\"OBJLNK\"]}},{\"name\":\"valu"
    "e\",\"type\":[{\"type\":\"string\",\"avro.java.string\":\"String\"},\"double\",\"long\",\"boolea"
    "n\"]}]}}},{\"name\":\"multipleResources\",\"type\":[\"null\",{\"type\":\"array\",\"items\":{\"ty"
    "pe\":\"record\",\"name\":\"AvroMultipleResource\",\"doc\":\"Represents a multiple resource.\",\""
    "fields\":[{\"name\":\"id\",\"type\":\"int\"},{\"name\":\"path\",\"type\":{\"type\":\"string\",\""
    "avro.java.string\":\"String\"}},{\"name\":\"kind\",\"type\":\"AvroResourceKind\"},{\"name\":\"ty"
    "pe\",\"type\":\"AvroType\"},{\"name\":\"resources\",\"type\":{\"type\":\"map\",\"values\":\"Avro"
    "Resource\",\"avro.java.string\":\"String\"}}]}}],\"default\":null}]}}}]},\"io.zeelos.leshan.avro"
    ".resource.AvroInstanceResource\",\"io.zeelos.leshan.avro.resource.AvroResource\",\"io.zeelos.les"
    "han.avro.resource.AvroMultipleResource\"]}]},{\"type\":\"record\",\"name\":\"AvroDiscoverRespons"
    "e\",\"doc\":\"Represents a discover response.\",\"fields\":[{\"name\":\"objectLinks\",\"type\":{"
    "\"type\":\"string\",\"avro.java.string\":\"String\"}}]},{\"type\":\"record\",\"name\":\"AvroCrea"
    "teResponse\",\"doc\":\"Represents a create response.\",\"fields\":[{\"name\":\"location\",\"type"
    "\":{\"type\":\"string\",\"avro.java.string\":\"String\"}}]},{\"type\":\"record\",\"name\":\"Avro"
    "GenericResponse\",\"doc\":\"Represents a generic response.\",\"fields\":[{\"name\":\"message\",\""
    "type\":{\"type\":\"string\",\"avro.java.string\":\"String\"}}]}],\"default\":null}]}}]}";

/* io.zeelos.leshan.avro.response.AvroResponseObserve */
static const char ZL_SCHEMA_OBSERVE_TEXT[] =
    "{\"type\":\"record\",\"name\":\"AvroResponseObserve\",\"namespace\":\"io.zeelos.leshan.avro.resp"
    "onse\",\"doc\":\"Represents the observation response payload.\",\"fields\":[{\"name\":\"ticket\""
    ",\"type\":{\"type\":\"string\",\"avro.java.string\":\"String\"}},{\"name\":\"observationId\",\"t"
    "ype\":{\"type\":\"string\",\"avro.java.string\":\"String\"}},{\"name\":\"serverId\",\"type\":{\""
    "type\":\"string\",\"avro.java.string\":\"String\"}},{\"name\":\"ep\",\"type\":{\"type\":\"string"
    "\",\"avro.java.string\":\"String\"}},{\"name\":\"path\",\"type\":{\"type\":\"string\",\"avro.jav"
    "a.string\":\"String\"}},{\"name\":\"timestamp\",\"type\":\"long\"},{\"name\":\"rep\",\"type\":{\""
    "type\":\"record\",\"name\":\"AvroResponsePayload\",\"doc\":\"Represents a response payload.\",\""
    "fields\":[{\"name\":\"code\",\"type\":{\"type\":\"enum\",\"name\":\"AvroResponseCode\",\"doc\":\""
    "Represents the response code.\",\"symbols\":[\"CREATED\",\"DELETED\",\"CHANGED\",\"CONTENT\",\"B"
    "AD_REQUEST\",\"UNAUTHORIZED\",\"METHOD_NOT_ALLOWED\",\"FORBIDDEN\",\"NOT_FOUND\",\"NOT_ACCEPTABL"
    "E\",\"REQUEST_ENTITY_INCOMPLETE\",\"PRECONDITION_FAILED\",\"REQUEST_ENTITY_TOO_LARGE\",\"UNSUPPO"
    "RTED_CONTENT_FORMAT\",\"INTERNAL_SERVER_ERROR\",\"UNKNOWN\"]}},{\"name\":\"kind\",\"type\":{\"ty"
    "pe\":\"enum\",\"name\":\"AvroRequestKind\",\"namespace\":\"io.zeelos.leshan.avro.request\",\"doc"
    "\":\"Represents the request kind.\",\"symbols\":[\"read\",\"write\",\"writeAttributes\",\"execut"
    "e\",\"observe\",\"observeCancel\",\"delete\",\"discover\",\"create\"]}},{\"name\":\"body\",\"typ"
    "e\":[\"null\",{\"type\":\"record\",\"name\":\"AvroReadResponseBody\",\"doc\":\"Represents the bo"
    "dy of the response.\",\"fields\":[{\"name\":\"content\",\"type\":[{\"type\":\"record\",\"name\":"
    "\"AvroObjectResource\",\"namespace\":\"io.zeelos.leshan.avro.resource\",\"doc\":\"Represents an "
    "object.\",\"fields\":[{\"name\":\"id\",\"type\":\"int\"},{\"name\":\"kind\",\"type\":{\"type\":\""
    "enum\",\"name\":\"AvroResourceKind\",\"doc\":\"Represents the resource kind.\",\"symbols\":[\"OB"
    "JECT\",\"INSTANCE\",\"MULTIPLE_RESOURCE\",\"SINGLE_RESOURCE\"]}},{\"name\":\"instances\",\"type\""
    ":{\"type\":\"array\",\"items\":{\"type\":\"record\",\"name\":\"AvroInstanceResource\",\"doc\":\""
    "Represents the resource instance.\",\"fields\":[{\"name\":\"id\",\"type\":\"int\"},{\"name\":\"k"
    "ind\",\"type\":\"AvroResourceKind\"},{\"name\":\"resources\",\"type\":{\"type\":\"array\",\"item"
    "s\":{\"type\":\"record\",\"name\":\"AvroResource\",\"doc\":\"Represents a resource.\",\"fields\""
    ":[{\"name\":\"id\",\"type\":\"int\"},{\"name\":\"path\",\"type\":{\"type\":\"string\",\"avro.jav"
    "a.string\":\"String\"}},{\"name\":\"kind\",\"type\":\"AvroResourceKind\"},{\"name\":\"type\",\"t"
    "ype\":{\"type\":\"enum\",\"name\":\"AvroType\",\"doc\":\"Represents the resource type.\",\"symbo"
    "ls\":[\"STRING\",\"FLOAT\",\"INTEGER\",\"BOOLEAN\",\"OPAQUE\",\"TIME\",\"OBJLNK\"]}},{\"name\":\""
    "value\",\"type\":[{\"type\":\"string\",\"avro.java.string\":\"String\"},\"double\",\"long\",\"bo"
    "olean\"]}]}}},{\"name\":\"multipleResources\",\"type\":[\"null\",{\"type\":\"array\",\"items\":{"
    "\"type\":\"record\",\"name\":\"AvroMultipleResource\",\"doc\":\"Represents a multiple resource.\""
    ",\"fields\":[{\"name\":\"id\",\"type\":\"int\"},{\"name\":\"path\",\"type\":{\"type\":\"string\""
    ",\"avro.java.string\":\"String\"}},{\"name\":\"kind\",\"type\":\"AvroResourceKind\"},{\"name\":\""
    "type\",\"type\":\"AvroType\"},{\"name\":\"resources\",\"type\":{\"type\":\"map\",\"values\":\"Av"
    "roResource\",\"avro.java.string\":\"String\"}}]}}],\"default\":null}]}}}]},\"io.zeelos.leshan.av"
    "ro.resource.AvroInstanceResource\",\"io.zeelos.leshan.avro.resource.AvroResource\",\"io.zeelos.l"
    "eshan.avro.resource.AvroMultipleResource\"]}]},{\"type\":\"record\",\"name\":\"AvroDiscoverRespo"
    "nse\",\"doc\":\"Represents a discover response.\",\"fields\":[{\"name\":\"objectLinks\",\"type\""
    ":{\"type\":\"string\",\"avro.java.string\":\"String\"}}]},{\"type\":\"record\",\"name\":\"AvroCr"
    "eateResponse\",\"doc\":\"Represents a create response.\",\"fields\":[{\"name\":\"location\",\"ty"
    "pe\":{\"type\":\"string\",\"avro.java.string\":\"String\"}}]},{\"type\":\"record\",\"name\":\"Av"
    "roGenericResponse\",\"doc\":\"Represents a generic response.\",\"fields\":[{\"name\":\"message\""
    ",\"type\":{\"type\":\"string\",\"avro.java.string\":\"String\"}}]}],\"default\":null}]}}]}";

/* io.zeelos.leshan.avro.request.AvroRequest */
static const char ZL_SCHEMA_REQUEST_TEXT[] =
    "{\"type\":\"record\",\"name\":\"AvroRequest\",\"namespace\":\"io.zeelos.leshan.avro.request\",\""
    "doc\":\"Represents the management request payload.\",\"fields\":[{\"name\":\"serverId\",\"type\""
    ":{\"type\":\"string\",\"avro.java.string\":\"String\"}},{\"name\":\"ep\",\"type\":{\"type\":\"st"
    "ring\",\"avro.java.string\":\"String\"}},{\"name\":\"ticket\",\"type\":{\"type\":\"string\",\"av"
    "ro.java.string\":\"String\"}},{\"name\":\"payload\",\"type\":{\"type\":\"record\",\"name\":\"Avr"
    "oRequestPayload\",\"fields\":[{\"name\":\"kind\",\"type\":{\"type\":\"enum\",\"name\":\"AvroRequ"
    "estKind\",\"doc\":\"Represents the request kind.\",\"symbols\":[\"read\",\"write\",\"writeAttrib"
    "utes\",\"execute\",\"observe\",\"observeCancel\",\"delete\",\"discover\",\"create\"]}},{\"name\""
    ":\"path\",\"type\":{\"type\":\"string\",\"avro.java.string\":\"String\"}},{\"name\":\"contentFor"
    "mat\",\"type\":{\"type\":\"enum\",\"name\":\"AvroContentFormat\",\"doc\":\"Represents the conten"
    "t format.\",\"symbols\":[\"TLV\",\"JSON_CODE\",\"TEXT_CODE\",\"OPAQUE_CODE\",\"LINK_CODE\"]}},{\""
    "name\":\"body\",\"type\":[\"null\",{\"type\":\"record\",\"name\":\"AvroCreateRequest\",\"doc\":\""
    "Represents a create request.\",\"fields\":[{\"name\":\"instance\",\"type\":{\"type\":\"record\","
    "\"name\":\"AvroInstanceResource\",\"namespace\":\"io.zeelos.leshan.avro.resource\",\"doc\":\"Rep"
    "resents the resource instance.\",\"fields\":[{\"name\":\"id\",\"type\":\"int\"},{\"name\":\"kind"
    "\",\"type\":{\"type\":\"enum\",\"name\":\"AvroResourceKind\",\"doc\":\"Represents the resource k"
    "ind.\",\"symbols\":[\"OBJECT\",\"INSTANCE\",\"MULTIPLE_RESOURCE\",\"SINGLE_RESOURCE\"]}},{\"name"
    "\":\"resources\",\"type\":{\"type\":\"array\",\"items\":{\"type\":\"record\",\"name\":\"AvroReso"
    "urce\",\"doc\":\"Represents a resource.\",\"fields\":[{\"name\":\"id\",\"type\":\"int\"},{\"name"
    "\":\"path\",\"type\":{\"type\":\"string\",\"avro.java.string\":\"String\"}},{\"name\":\"kind\",\""
    "type\":\"AvroResourceKind\"},{\"name\":\"type\",\"type\":{\"type\":\"enum\",\"name\":\"AvroType\""
    ",\"doc\":\"Represents the resource type.\",\"symbols\":[\"STRING\",\"FLOAT\",\"INTEGER\",\"BOOLE"
    "AN\",\"OPAQUE\",\"TIME\",\"OBJLNK\"]}},{\"name\":\"value\",\"type\":[{\"type\":\"string\",\"avro"
    ".java.string\":\"String\"},\"double\",\"long\",\"boolean\"]}]}}},{\"name\":\"multipleResources\""
    ",\"type\":[\"null\",{\"type\":\"array\",\"items\":{\"type\":\"record\",\"name\":\"AvroMultipleRe"
    "source\",\"doc\":\"Represents a multiple resource.\",\"fields\":[{\"name\":\"id\",\"type\":\"int"
    "\"},{\"name\":\"path\",\"type\":{\"type\":\"string\",\"avro.java.string\":\"String\"}},{\"name\""
    ":\"kind\",\"type\":\"AvroResourceKind\"},{\"name\":\"type\",\"type\":\"AvroType\"},{\"name\":\"r"
    "esources\",\"type\":{\"type\":\"map\",\"values\":\"AvroResource\",\"avro.java.string\":\"String\""
    "}}]}}],\"default\":null}]}}]},{\"type\":\"record\",\"name\":\"AvroExecuteRequest\",\"doc\":\"Rep"
    "resents an execute request.\",\"fields\":[{\"name\":\"parameters\",\"type\":{\"type\":\"string\""
    ",\"avro.java.string\":\"String\"}}]},{\"type\":\"record\",\"name\":\"AvroWriteAttributesRequest\""
    ",\"doc\":\"Represents a write attributes request.\",\"fields\":[{\"name\":\"observeSpec\",\"type"
    "\":{\"type\":\"string\",\"avro.java.string\":\"String\"}}]},{\"type\":\"record\",\"name\":\"Avro"
    "WriteRequest\",\"doc\":\"Represents a write request.\",\"fields\":[{\"name\":\"mode\",\"type\":{"
    "\"type\":\"enum\",\"name\":\"AvroWriteRequestMode\",\"doc\":\"Represents the write request mode."
    "\",\"symbols\":[\"REPLACE\",\"UPDATE\"]}},{\"name\":\"node\",\"type\":[{\"type\":\"record\",\"na"
    "me\":\"AvroObjectResource\",\"namespace\":\"io.zeelos.leshan.avro.resource\",\"doc\":\"Represent"
    "s an object.\",\"fields\":[{\"name\":\"id\",\"type\":\"int\"},{\"name\":\"kind\",\"type\":\"Avro"
    "ResourceKind\"},{\"name\":\"instances\",\"type\":{\"type\":\"array\",\"items\":\"AvroInstanceRes"
    "ource\"}}]},\"io.zeelos.leshan.avro.resource.AvroInstanceResource\",\"io.zeelos.leshan.avro.reso"
    "urce.AvroResource\"]}]}],\"doc\":\"Represents the actual request body.\",\"default\":null}]}}]}";

static const struct {
    const char *text, *fullname;
} schemas[ZL_SCH__COUNT] = {
    [ZL_SCH_REGISTRATION] = {ZL_SCHEMA_REGISTRATION_TEXT,
                             "io.zeelos.leshan.avro.registration.AvroRegistrationResponse"},
    [ZL_SCH_OBSERVE] = {ZL_SCHEMA_OBSERVE_TEXT, "io.zeelos.leshan.avro.response.AvroResponseObserve"},
    [ZL_SCH_RESPONSE] = {ZL_SCHEMA_RESPONSE_TEXT, "io.zeelos.leshan.avro.response.AvroResponse"},
    [ZL_SCH_REQUEST] = {ZL_SCHEMA_REQUEST_TEXT, "io.zeelos.leshan.avro.request.AvroRequest"},
    [ZL_SCH_KEY] = {ZL_SCHEMA_KEY_TEXT, "io.zeelos.leshan.avro.AvroKey"},
};

const char *zl_avro_schema_text(zl_schema_kind_t k) {
    return ((unsigned)k < ZL_SCH__COUNT) ? schemas[k].text : NULL;
}

const char *zl_avro_schema_fullname(zl_schema_kind_t k) {
    return ((unsigned)k < ZL_SCH__COUNT) ? schemas[k].fullname : NULL;
}
