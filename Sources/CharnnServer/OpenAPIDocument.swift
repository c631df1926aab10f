/// The API's OpenAPI 3 document, served at GET /openapi.json. Written by scripts/openapi.py,
/// which writes docs/openapi.json too; a test keeps the two equal.
enum OpenAPIDocument {
    static let json = #"""
{
 "components": {
  "schemas": {
   "Completion": {
    "properties": {
     "choices": {
      "items": {
       "properties": {
        "finish_reason": {
         "enum": [
          "length",
          "stop",
          "shutdown",
          null
         ],
         "type": [
          "string",
          "null"
         ]
        },
        "index": {
         "type": "integer"
        },
        "logprobs": {
         "oneOf": [
          {
           "properties": {
            "text_offset": {
             "items": {
              "type": "integer"
             },
             "type": "array"
            },
            "token_logprobs": {
             "items": {
              "type": "number"
             },
             "type": "array"
            },
            "tokens": {
             "items": {
              "type": "string"
             },
             "type": "array"
            },
            "top_logprobs": {
             "items": {
              "additionalProperties": {
               "type": "number"
              },
              "type": "object"
             },
             "type": "array"
            }
           },
           "type": "object"
          },
          {
           "type": "null"
          }
         ]
        },
        "text": {
         "type": "string"
        }
       },
       "required": [
        "text",
        "index",
        "finish_reason"
       ],
       "type": "object"
      },
      "type": "array"
     },
     "created": {
      "type": "integer"
     },
     "id": {
      "type": "string"
     },
     "model": {
      "type": "string"
     },
     "object": {
      "enum": [
       "text_completion"
      ],
      "type": "string"
     },
     "usage": {
      "properties": {
       "completion_tokens": {
        "type": "integer"
       },
       "prompt_tokens": {
        "type": "integer"
       },
       "total_tokens": {
        "type": "integer"
       }
      },
      "type": "object"
     }
    },
    "required": [
     "id",
     "object",
     "created",
     "model",
     "choices"
    ],
    "type": "object"
   },
   "CompletionRequest": {
    "description": "OpenAI's legacy completion request. Unknown fields are ignored and listed in the X-Charnn-Ignored-Fields header.",
    "properties": {
     "echo": {
      "default": false,
      "type": "boolean"
     },
     "logprobs": {
      "description": "Alternatives per character, from the model's own distribution.",
      "maximum": 20,
      "minimum": 0,
      "type": "integer"
     },
     "max_tokens": {
      "default": 16,
      "description": "Characters to generate, at most --max-length.",
      "minimum": 0,
      "type": "integer"
     },
     "model": {
      "description": "Ignored: one model per server.",
      "type": "string"
     },
     "n": {
      "default": 1,
      "description": "Choices, at most --max-choices (1 for a session).",
      "minimum": 1,
      "type": "integer"
     },
     "prompt": {
      "description": "The prime. Empty: the generation starts after a line break, as charnn sample.",
      "oneOf": [
       {
        "type": "string"
       },
       {
        "items": {
         "type": "string"
        },
        "maxItems": 1,
        "type": "array"
       }
      ]
     },
     "seed": {
      "description": "Choice i samples with seed + i; choice 0 equals charnn sample --seed.",
      "type": "integer"
     },
     "skip_unknown": {
      "default": false,
      "description": "Drop prompt characters outside the vocabulary instead of refusing (400).",
      "type": "boolean"
     },
     "stop": {
      "description": "Texts that end the completion; not returned.",
      "oneOf": [
       {
        "type": "string"
       },
       {
        "items": {
         "type": "string"
        },
        "maxItems": 4,
        "type": "array"
       }
      ]
     },
     "stream": {
      "default": false,
      "description": "Server-sent events, ending with data: [DONE].",
      "type": "boolean"
     },
     "stream_options": {
      "properties": {
       "include_usage": {
        "type": "boolean"
       }
      },
      "type": "object"
     },
     "temperature": {
      "default": 1,
      "description": "0 is greedy.",
      "minimum": 0,
      "type": "number"
     },
     "top_k": {
      "default": 0,
      "description": "0 keeps all (llama.cpp's extension).",
      "minimum": 0,
      "type": "integer"
     },
     "top_p": {
      "default": 1,
      "exclusiveMinimum": 0,
      "maximum": 1,
      "type": "number"
     },
     "user": {
      "type": "string"
     }
    },
    "type": "object"
   },
   "Error": {
    "properties": {
     "error": {
      "properties": {
       "code": {
        "type": [
         "string",
         "null"
        ]
       },
       "message": {
        "type": "string"
       },
       "param": {
        "type": [
         "string",
         "null"
        ]
       },
       "type": {
        "type": "string"
       }
      },
      "required": [
       "message",
       "type",
       "param",
       "code"
      ],
      "type": "object"
     }
    },
    "required": [
     "error"
    ],
    "type": "object"
   },
   "Model": {
    "properties": {
     "best_validation_bits_per_char": {
      "type": "number"
     },
     "bidirectional": {
      "type": "boolean"
     },
     "cell": {
      "enum": [
       "lstm",
       "gru"
      ],
      "type": "string"
     },
     "created": {
      "type": "integer"
     },
     "embedding": {
      "type": "integer"
     },
     "gru_variant": {
      "type": "string"
     },
     "hidden": {
      "type": "integer"
     },
     "id": {
      "description": "The checkpoint's file name without extensions.",
      "type": "string"
     },
     "layers": {
      "type": "integer"
     },
     "normalization": {
      "type": "string"
     },
     "object": {
      "type": "string"
     },
     "owned_by": {
      "enum": [
       "charnn"
      ],
      "type": "string"
     },
     "parameters": {
      "type": "integer"
     },
     "task": {
      "type": "string"
     },
     "tokenization": {
      "type": "string"
     },
     "training_step": {
      "type": "integer"
     },
     "vocabulary_size": {
      "type": "integer"
     }
    },
    "required": [
     "id",
     "object",
     "owned_by"
    ],
    "type": "object"
   }
  }
 },
 "info": {
  "description": "A character-level LSTM/GRU language model over HTTP: OpenAI-compatible completions (continuously batched), sessions, scoring, restoration, activation traces.",
  "title": "charnn serve",
  "version": "1"
 },
 "openapi": "3.1.0",
 "paths": {
  "/": {
   "get": {
    "responses": {
     "200": {
      "content": {
       "text/html": {
        "schema": {
         "type": "string"
        }
       }
      },
      "description": "HTML"
     }
    },
    "summary": "The playground page"
   }
  },
  "/health": {
   "get": {
    "responses": {
     "200": {
      "content": {
       "application/json": {
        "schema": {
         "properties": {
          "active_sessions": {
           "type": "integer"
          },
          "active_streams": {
           "type": "integer"
          },
          "model": {
           "type": "string"
          },
          "status": {
           "type": "string"
          }
         },
         "type": "object"
        }
       }
      },
      "description": "OK"
     }
    },
    "summary": "Liveness and load"
   }
  },
  "/metrics": {
   "get": {
    "responses": {
     "200": {
      "content": {
       "text/plain": {
        "schema": {
         "type": "string"
        }
       }
      },
      "description": "Metrics"
     }
    },
    "summary": "Prometheus text format"
   }
  },
  "/openapi.json": {
   "get": {
    "responses": {
     "200": {
      "content": {
       "application/json": {
        "schema": {
         "type": "object"
        }
       }
      },
      "description": "OK"
     }
    },
    "summary": "This document"
   }
  },
  "/v1/activations": {
   "post": {
    "requestBody": {
     "content": {
      "application/json": {
       "schema": {
        "properties": {
         "layer": {
          "default": 0,
          "minimum": 0,
          "type": "integer"
         },
         "quantity": {
          "default": "hidden",
          "enum": [
           "hidden",
           "cell"
          ],
          "type": "string"
         },
         "skip_unknown": {
          "default": false,
          "type": "boolean"
         },
         "text": {
          "description": "UTF-8 text.",
          "type": "string"
         }
        },
        "required": [
         "text"
        ],
        "type": "object"
       }
      }
     },
     "required": true
    },
    "responses": {
     "200": {
      "content": {
       "application/json": {
        "schema": {
         "properties": {
          "characters": {
           "items": {
            "type": "string"
           },
           "type": "array"
          },
          "data": {
           "description": "Row-major (characters, units) little-endian Float32, base64; at most 2^20 numbers (4 MiB), so at most 2^20 / hidden characters.",
           "type": "string"
          },
          "encoding": {
           "enum": [
            "base64-float32le"
           ],
           "type": "string"
          },
          "most_active_units": {
           "description": "The 16 units with the largest standard deviation over the text.",
           "items": {
            "type": "integer"
           },
           "type": "array"
          },
          "shape": {
           "description": "[characters, units]",
           "items": {
            "type": "integer"
           },
           "type": "array"
          },
          "units": {
           "type": "integer"
          }
         },
         "type": "object"
        }
       }
      },
      "description": "OK"
     },
     "400": {
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      },
      "description": "Bad request: malformed JSON, a wrong type, a value out of range, unknown characters"
     },
     "413": {
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      },
      "description": "Body over 1 MiB"
     }
    },
    "summary": "A layer's hidden or cell state after each character (the neuron view)"
   }
  },
  "/v1/completions": {
   "post": {
    "requestBody": {
     "content": {
      "application/json": {
       "schema": {
        "$ref": "#/components/schemas/CompletionRequest"
       }
      }
     },
     "required": true
    },
    "responses": {
     "200": {
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Completion"
        }
       },
       "text/event-stream": {}
      },
      "description": "The completion, or with stream: text/event-stream of chunks of this shape, then data: [DONE]"
     },
     "400": {
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      },
      "description": "Bad request: malformed JSON, a wrong type, a value out of range, unknown characters"
     },
     "413": {
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      },
      "description": "Body over 1 MiB"
     },
     "429": {
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      },
      "description": "No free slot (Retry-After says when to retry)"
     },
     "503": {
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      },
      "description": "Shutting down"
     }
    },
    "summary": "Complete a prompt"
   }
  },
  "/v1/models": {
   "get": {
    "responses": {
     "200": {
      "content": {
       "application/json": {
        "schema": {
         "properties": {
          "data": {
           "items": {
            "$ref": "#/components/schemas/Model"
           },
           "type": "array"
          },
          "object": {
           "type": "string"
          }
         },
         "type": "object"
        }
       }
      },
      "description": "OK"
     }
    },
    "summary": "The one model"
   }
  },
  "/v1/restore": {
   "post": {
    "requestBody": {
     "content": {
      "application/json": {
       "schema": {
        "properties": {
         "text": {
          "description": "UTF-8 text.",
          "type": "string"
         }
        },
        "required": [
         "text"
        ],
        "type": "object"
       }
      }
     },
     "required": true
    },
    "responses": {
     "200": {
      "content": {
       "application/json": {
        "schema": {
         "properties": {
          "task": {
           "type": "string"
          },
          "text": {
           "type": "string"
          }
         },
         "type": "object"
        }
       }
      },
      "description": "OK"
     },
     "400": {
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      },
      "description": "Bad request: malformed JSON, a wrong type, a value out of range, unknown characters"
     },
     "413": {
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      },
      "description": "Body over 1 MiB"
     }
    },
    "summary": "Restore a degraded text with a restoration model, as charnn restore"
   }
  },
  "/v1/score": {
   "post": {
    "requestBody": {
     "content": {
      "application/json": {
       "schema": {
        "properties": {
         "text": {
          "description": "UTF-8 text.",
          "type": "string"
         }
        },
        "required": [
         "text"
        ],
        "type": "object"
       }
      }
     },
     "required": true
    },
    "responses": {
     "200": {
      "content": {
       "application/json": {
        "schema": {
         "properties": {
          "bits_per_char": {
           "type": "number"
          },
          "chars_scored": {
           "type": "integer"
          },
          "nats_per_char": {
           "type": "number"
          },
          "perplexity": {
           "type": "number"
          },
          "unknown_skipped": {
           "type": "integer"
          }
         },
         "type": "object"
        }
       }
      },
      "description": "OK"
     },
     "400": {
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      },
      "description": "Bad request: malformed JSON, a wrong type, a value out of range, unknown characters"
     },
     "413": {
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      },
      "description": "Body over 1 MiB"
     }
    },
    "summary": "Nats and bits per character of a text, as charnn eval (unknown characters skipped)"
   }
  },
  "/v1/sessions": {
   "post": {
    "requestBody": {
     "content": {
      "application/json": {
       "schema": {
        "type": "object"
       }
      }
     },
     "required": false
    },
    "responses": {
     "201": {
      "content": {
       "application/json": {
        "schema": {
         "properties": {
          "expires_after_idle_seconds": {
           "type": "integer"
          },
          "id": {
           "type": "string"
          }
         },
         "type": "object"
        }
       }
      },
      "description": "Created"
     },
     "400": {
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      },
      "description": "Bad request: malformed JSON, a wrong type, a value out of range, unknown characters"
     },
     "429": {
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      },
      "description": "No free slot (Retry-After says when to retry)"
     }
    },
    "summary": "A new session: state kept between calls"
   }
  },
  "/v1/sessions/{id}": {
   "delete": {
    "parameters": [
     {
      "in": "path",
      "name": "id",
      "required": true,
      "schema": {
       "type": "string"
      }
     }
    ],
    "responses": {
     "200": {
      "content": {
       "application/json": {
        "schema": {
         "properties": {
          "deleted": {
           "type": "boolean"
          },
          "id": {
           "type": "string"
          }
         },
         "type": "object"
        }
       }
      },
      "description": "OK"
     },
     "404": {
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      },
      "description": "No such session"
     }
    },
    "summary": "End a session"
   }
  },
  "/v1/sessions/{id}/complete": {
   "post": {
    "parameters": [
     {
      "in": "path",
      "name": "id",
      "required": true,
      "schema": {
       "type": "string"
      }
     }
    ],
    "requestBody": {
     "content": {
      "application/json": {
       "schema": {
        "$ref": "#/components/schemas/CompletionRequest"
       }
      }
     },
     "required": false
    },
    "responses": {
     "200": {
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Completion"
        }
       },
       "text/event-stream": {}
      },
      "description": "The completion, or with stream: text/event-stream of chunks of this shape, then data: [DONE]"
     },
     "400": {
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      },
      "description": "Bad request: malformed JSON, a wrong type, a value out of range, unknown characters"
     },
     "404": {
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      },
      "description": "No such session"
     },
     "409": {
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      },
      "description": "The session is serving another request"
     },
     "413": {
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      },
      "description": "Body over 1 MiB"
     },
     "429": {
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      },
      "description": "No free slot (Retry-After says when to retry)"
     },
     "503": {
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      },
      "description": "Shutting down"
     }
    },
    "summary": "Complete from the session's state (which then includes the generated text)"
   }
  },
  "/v1/sessions/{id}/feed": {
   "post": {
    "parameters": [
     {
      "in": "path",
      "name": "id",
      "required": true,
      "schema": {
       "type": "string"
      }
     }
    ],
    "requestBody": {
     "content": {
      "application/json": {
       "schema": {
        "properties": {
         "skip_unknown": {
          "default": false,
          "type": "boolean"
         },
         "text": {
          "description": "UTF-8 text.",
          "type": "string"
         }
        },
        "required": [
         "text"
        ],
        "type": "object"
       }
      }
     },
     "required": true
    },
    "responses": {
     "200": {
      "content": {
       "application/json": {
        "schema": {
         "properties": {
          "fed": {
           "type": "integer"
          },
          "unknown_skipped": {
           "type": "integer"
          }
         },
         "type": "object"
        }
       }
      },
      "description": "OK"
     },
     "400": {
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      },
      "description": "Bad request: malformed JSON, a wrong type, a value out of range, unknown characters"
     },
     "404": {
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      },
      "description": "No such session"
     },
     "409": {
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      },
      "description": "The session is serving another request"
     },
     "413": {
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      },
      "description": "Body over 1 MiB"
     },
     "429": {
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      },
      "description": "No free slot (Retry-After says when to retry)"
     }
    },
    "summary": "Move the session's state through a text"
   }
  }
 }
}

"""#
}
